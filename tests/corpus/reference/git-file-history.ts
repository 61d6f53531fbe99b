const log = await git.git_log({ repo_path: ".", max_count: 1000 });
const out = [];
for (const [, sha, message] of log.matchAll(/^Commit: (\w+)[^]*?^Message: (.*)$/gm)) {
  const show = await git.git_show({ repo_path: ".", revision: sha });
  if (show.includes("\n+++ b/src/checkout.py\n")) out.push(message);
}
return out;

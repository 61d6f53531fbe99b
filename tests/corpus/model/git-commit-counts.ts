const log = await git.git_log({ repo_path: ".", max_count: 10000 });
const counts: Record<string, number> = {};
for (const m of log.matchAll(/^Author: (.*)$/gm)) {
  const name = m[1].trim();
  counts[name] = (counts[name] ?? 0) + 1;
}
return counts;

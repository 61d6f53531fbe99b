const status = await git.git_status({ repo_path: "." });
const section = (title: string) =>
  (status.split(title + ":\n")[1] ?? "").split("\n\n")[0].split("\n")
    .filter((l) => l.startsWith("\t")).map((l) => l.replace(/^\t(\w+ ?\w*:\s+)?/, "")).sort();
return { staged: section("Changes to be committed"), unstaged: section("Changes not staged for commit"), untracked: section("Untracked files") };

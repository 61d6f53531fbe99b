const lines = (await git.git_branch({ repo_path: ".", branch_type: "local" })).split("\n");
return {
  branches: lines.map((l) => l.slice(2)).sort(),
  current: lines.find((l) => l.startsWith("* "))!.slice(2),
};

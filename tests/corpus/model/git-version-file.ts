const [release, current] = await Promise.all([
  git.git_show({ repo_path: ".", revision: "release/1.0:VERSION" }),
  git.git_show({ repo_path: ".", revision: "HEAD:VERSION" }),
]);
return { release: release.trim(), current: current.trim() };

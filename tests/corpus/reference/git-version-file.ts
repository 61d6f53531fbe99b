const show = (revision: string) => git.git_show({ repo_path: ".", revision });
return { release: (await show("release/1.0:VERSION")).trim(), current: (await show("HEAD:VERSION")).trim() };

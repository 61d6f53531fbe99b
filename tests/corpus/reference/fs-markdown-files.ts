const [dir] = (await filesystem.list_allowed_directories()).content.split("\n").slice(1);
const { content } = await filesystem.search_files({ path: dir, pattern: "**/*.md" });
return content.split("\n").map((p) => p.slice(dir.length + 1)).sort();

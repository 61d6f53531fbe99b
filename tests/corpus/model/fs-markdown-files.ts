const dirs = await filesystem.list_allowed_directories();
const root = dirs.content.split("\n").map(l => l.trim()).filter(Boolean).pop()!;
const res = await filesystem.search_files({ path: root, pattern: "**/*.md" });
return res.content.split("\n").map(l => l.trim()).filter(l => l.endsWith(".md")).map(p => p.slice(root.length + 1)).sort();

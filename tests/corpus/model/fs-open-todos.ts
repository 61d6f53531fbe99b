const dirs = await filesystem.list_allowed_directories();
const root = dirs.content.split("\n").map(l => l.trim()).filter(Boolean).pop()!;
const { content } = await filesystem.read_text_file({ path: `${root}/todo.md` });
return [...content.matchAll(/^\s*[-*] \[ \] (.*)$/gm)].map(m => m[1].trim());

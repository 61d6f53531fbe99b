const dirs = await filesystem.list_allowed_directories();
const root = dirs.content.split("\n").map(l => l.trim()).filter(Boolean).pop()!;
const listing = await filesystem.list_directory({ path: `${root}/logs` });
const files = [...listing.content.matchAll(/^\[FILE\] (.*)$/gm)].map(m => m[1].trim());
const contents = await Promise.all(files.map(f => filesystem.read_text_file({ path: `${root}/logs/${f}` })));
return Object.fromEntries(files.map((f, i) => [f, contents[i].content.split("\n").filter(l => l.includes("ERROR")).length]));

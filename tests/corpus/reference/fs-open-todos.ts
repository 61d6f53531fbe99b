const { content } = await filesystem.read_text_file({ path: "todo.md" });
return [...content.matchAll(/^- \[ \] (.*)$/gm)].map((m) => m[1]);

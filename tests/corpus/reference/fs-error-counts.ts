const { content } = await filesystem.list_directory({ path: "logs" });
const counts: Record<string, number> = {};
for (const [, name] of content.matchAll(/^\[FILE\] (.*)$/gm)) {
  const log = await filesystem.read_text_file({ path: `logs/${name}` });
  counts[name] = log.content.split("\n").filter((l) => / ERROR /.test(l)).length;
}
return counts;

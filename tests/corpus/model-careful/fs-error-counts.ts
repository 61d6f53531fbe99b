const text = (r: any): string => {
  if (typeof r === "string") return r;
  if (r == null) return "";
  if (Array.isArray(r)) return r.map(text).join("\n");
  if (typeof r.content === "string") return r.content;
  if (Array.isArray(r.content)) return r.content.map((c: any) => (typeof c === "string" ? c : c?.text ?? "")).join("\n");
  if (typeof r.text === "string") return r.text;
  return JSON.stringify(r);
};
const allowed = text(await filesystem.list_allowed_directories({}))
  .replace(/\r/g, "").split("\n").map((l) => l.trim().replace(/^[-*]\s+/, ""))
  .filter((l) => l.startsWith("/") || /^[A-Za-z]:[\\/]/.test(l));
if (!allowed.length) throw new Error("no allowed directory found");
const join = (a: string, b: string) => a.replace(/[\\/]+$/, "") + "/" + b;
const root = allowed[0];
const logsDir = join(root, "logs");
const listing = text(await filesystem.list_directory({ path: logsDir })).replace(/\r/g, "");
const files: string[] = [];
for (const l of listing.split("\n")) {
  const m = l.match(/^\[FILE\]\s+(.+?)\s*$/);
  if (m) files.push(m[1]);
}
if (!/\[(FILE|DIR)\]/.test(listing)) {
  console.log("unexpected listing format; using directory_tree");
  const tree = JSON.parse(text(await filesystem.directory_tree({ path: logsDir })));
  for (const n of (Array.isArray(tree) ? tree : tree.children ?? [])) if (n.type === "file") files.push(n.name);
}
const isLog = (n: string) => !n.startsWith(".") && !/\.(md|gz|zip|tgz|bz2|xz)$/i.test(n);
const logFiles = files.filter(isLog);
console.log("files in logs: " + JSON.stringify(files));
const levelRe = /\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL|SEVERE)\b/;
const isError = (line: string) => {
  const m = line.match(levelRe);
  if (m) return m[1] === "ERROR";
  return /"level"\s*:\s*"error"/i.test(line) || /\blevel=error\b/i.test(line);
};
const out: Record<string, number> = {};
await Promise.all(logFiles.map(async (f) => {
  const c = text(await filesystem.read_text_file({ path: join(logsDir, f) })).replace(/\r/g, "");
  out[f] = c.split("\n").filter(isError).length;
}));
const sorted: Record<string, number> = {};
for (const f of [...logFiles].sort()) sorted[f] = out[f];
return sorted;

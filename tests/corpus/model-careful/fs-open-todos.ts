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
let root = allowed[0];
let content: string | null = null;
for (const dir of allowed) {
  try { content = text(await filesystem.read_text_file({ path: join(dir, "todo.md") })); root = dir; break; } catch (e) {}
}
if (content == null) {
  const found = text(await filesystem.search_files({ path: root, pattern: "todo.md" })).split("\n").map((l) => l.trim()).filter((l) => /todo\.md$/i.test(l));
  if (!found.length) throw new Error("todo.md not found");
  content = text(await filesystem.read_text_file({ path: found[0] }));
}
const open: string[] = [];
let inFence = false;
for (const line of (content ?? "").replace(/\r/g, "").split("\n")) {
  if (/^\s*(```|~~~)/.test(line)) { inFence = !inFence; continue; }
  if (inFence) continue;
  const m = line.match(/^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\]\s*(.*?)\s*$/);
  if (m && m[1] === " " && m[2] !== "") open.push(m[2]);
}
return open;

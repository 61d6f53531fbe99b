const text = (r: any): string => {
  if (typeof r === "string") return r;
  if (r == null) return "";
  if (Array.isArray(r)) return r.map(text).join("\n");
  if (typeof r.content === "string") return r.content;
  if (Array.isArray(r.content)) return r.content.map((c: any) => (typeof c === "string" ? c : c?.text ?? "")).join("\n");
  if (typeof r.text === "string") return r.text;
  return JSON.stringify(r);
};
const s = text(await git.git_branch({ repo_path: ".", branch_type: "local" })).replace(/\r/g, "");
const lines = s.split("\n").filter((l) => l.trim() !== "");
const branches: string[] = [];
let current: string | null = null;
const marked = lines.filter((l) => /^[*+ ] /.test(l));
const use = marked.length ? marked : lines.filter((l) => !/:\s*$/.test(l));
for (const l of use) {
  const m = l.match(/^([*+ ]?)\s*(.+?)\s*$/);
  if (!m) continue;
  let name = m[2];
  if (/^\(HEAD detached/.test(name) || /^\(no branch/.test(name)) continue;
  name = name.split(/\s+->\s+/)[0];
  branches.push(name);
  if (m[1] === "*") current = name;
}
if (!current) {
  try {
    const st = text(await git.git_status({ repo_path: "." }));
    const m = st.match(/On branch (\S+)/);
    if (m) current = m[1];
  } catch (e) { console.log("status failed: " + e); }
}
return { branches: [...new Set(branches)].sort(), current };

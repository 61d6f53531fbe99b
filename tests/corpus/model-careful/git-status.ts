const text = (r: any): string => {
  if (typeof r === "string") return r;
  if (r == null) return "";
  if (Array.isArray(r)) return r.map(text).join("\n");
  if (typeof r.content === "string") return r.content;
  if (Array.isArray(r.content)) return r.content.map((c: any) => (typeof c === "string" ? c : c?.text ?? "")).join("\n");
  if (typeof r.text === "string") return r.text;
  return JSON.stringify(r);
};
const unquote = (p: string) => {
  p = p.trim();
  if (/^".*"$/.test(p)) p = p.slice(1, -1).replace(/\\"/g, '"').replace(/\\\\/g, "\\");
  return p;
};
const s = text(await git.git_status({ repo_path: "." })).replace(/\r/g, "");
const staged = new Set<string>(), unstaged = new Set<string>(), untracked = new Set<string>();
let section: string | null = null;
let sawSection = false;
for (const line of s.split("\n")) {
  if (/^Changes to be committed/.test(line)) { section = "staged"; sawSection = true; continue; }
  if (/^Changes not staged for commit/.test(line)) { section = "unstaged"; sawSection = true; continue; }
  if (/^Untracked files/.test(line)) { section = "untracked"; sawSection = true; continue; }
  if (/^Unmerged paths/.test(line)) { section = "unmerged"; sawSection = true; continue; }
  if (!section) continue;
  if (line.trim() === "" || /^\s*\(use /.test(line) || /^\s*\(/.test(line)) continue;
  if (!/^\s/.test(line)) { section = null; continue; }
  const t = line.trim();
  if (section === "untracked") { untracked.add(unquote(t)); continue; }
  const m = t.match(/^([a-z ]+):\s+(.*)$/);
  let p = m ? m[2] : t;
  if (m && /renamed|copied/.test(m[1]) && p.includes(" -> ")) p = p.split(" -> ").pop()!;
  p = unquote(p.replace(/\s+\((new commits|modified content|untracked content)[^)]*\)$/, ""));
  if (section === "staged") staged.add(p);
  else if (section === "unstaged") unstaged.add(p);
  else { staged.add(p); unstaged.add(p); }
}
if (!sawSection) {
  // maybe short/porcelain format
  for (const line of s.split("\n")) {
    const m = line.match(/^([ MADRCUT?!])([ MADRCUT?!]) (.+)$/);
    if (!m) continue;
    let p = m[3];
    if (p.includes(" -> ")) p = p.split(" -> ").pop()!;
    p = unquote(p);
    if (m[1] === "?" && m[2] === "?") { untracked.add(p); continue; }
    if (m[1] === "!") continue;
    if (m[1] !== " ") staged.add(p);
    if (m[2] !== " ") unstaged.add(p);
  }
}
return { staged: [...staged].sort(), unstaged: [...unstaged].sort(), untracked: [...untracked].sort() };

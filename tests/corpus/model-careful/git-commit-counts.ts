const text = (r: any): string => {
  if (typeof r === "string") return r;
  if (r == null) return "";
  if (Array.isArray(r)) return r.map(text).join("\n");
  if (typeof r.content === "string") return r.content;
  if (Array.isArray(r.content)) return r.content.map((c: any) => (typeof c === "string" ? c : c?.text ?? "")).join("\n");
  if (typeof r.text === "string") return r.text;
  return JSON.stringify(r);
};
const cleanAuthor = (a: string): string => {
  let s = a.trim();
  const m = s.match(/^<git\.Actor\s+"(.*)">$/);
  if (m) s = m[1];
  s = s.replace(/^['"]|['"]$/g, "").trim();
  s = s.replace(/\s*<[^<>]*>\s*$/, "").trim();
  return s;
};
const log = text(await git.git_log({ repo_path: ".", max_count: 100000 }));
const blocks = log.replace(/\r/g, "").split(/^Commit:\s*/m).slice(1);
const counts: Record<string, number> = {};
for (const b of blocks) {
  const m = b.match(/^Author:\s*(.*)$/m);
  if (!m) continue;
  const name = cleanAuthor(m[1]);
  counts[name] = (counts[name] ?? 0) + 1;
}
console.log(`parsed ${blocks.length} commits`);
return counts;

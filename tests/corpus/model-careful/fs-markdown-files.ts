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
const root = allowed[0].replace(/[\\/]+$/, "");
const out = new Set<string>();
let ok = false;
try {
  const raw: any = await filesystem.directory_tree({ path: root });
  let tree: any = raw;
  if (!Array.isArray(tree)) {
    const t = text(raw);
    tree = JSON.parse(t);
  }
  if (!Array.isArray(tree)) tree = tree?.children ?? [tree];
  const walk = (nodes: any[], prefix: string) => {
    for (const n of nodes ?? []) {
      const p = prefix ? `${prefix}/${n.name}` : n.name;
      if (n.type === "directory" || Array.isArray(n.children)) walk(n.children ?? [], p);
      else if (/\.md$/i.test(n.name)) out.add(p);
    }
  };
  walk(tree, "");
  ok = true;
} catch (e) {
  console.log("directory_tree failed/unparsable: " + e);
}
if (!ok) {
  for (const pattern of ["**/*.md", "*.md", ".md"]) {
    try {
      const r = text(await filesystem.search_files({ path: root, pattern }));
      for (const l of r.replace(/\r/g, "").split("\n").map((x) => x.trim())) {
        if (!/\.md$/i.test(l)) continue;
        const rel = l.startsWith(root + "/") ? l.slice(root.length + 1) : l;
        out.add(rel);
      }
    } catch (e) {}
  }
}
return [...out].sort();

const text = (r: any): string => {
  if (typeof r === "string") return r;
  if (r == null) return "";
  if (Array.isArray(r)) return r.map(text).join("\n");
  if (typeof r.content === "string") return r.content;
  if (Array.isArray(r.content)) return r.content.map((c: any) => (typeof c === "string" ? c : c?.text ?? "")).join("\n");
  if (typeof r.text === "string") return r.text;
  return JSON.stringify(r);
};
const extract = (r: any): string => {
  const lines = text(r).replace(/\r/g, "").split("\n").map((l) => l.trim()).filter(Boolean);
  if (lines.length <= 1) return (lines[0] ?? "").trim();
  console.log("multi-line output: " + JSON.stringify(lines));
  const vs = lines.filter((l) => /^v?\d+(\.\d+)+([-+.][0-9A-Za-z.+-]+)?$/.test(l));
  if (vs.length) return vs[vs.length - 1];
  return lines[lines.length - 1];
};
const [rel, cur] = await Promise.all([
  git.git_show({ repo_path: ".", revision: "release/1.0:VERSION" }),
  git.git_show({ repo_path: ".", revision: "HEAD:VERSION" }),
]);
return { release: extract(rel), current: extract(cur) };

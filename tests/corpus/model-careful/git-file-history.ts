const text = (r: any): string => {
  if (typeof r === "string") return r;
  if (r == null) return "";
  if (Array.isArray(r)) return r.map(text).join("\n");
  if (typeof r.content === "string") return r.content;
  if (Array.isArray(r.content)) return r.content.map((c: any) => (typeof c === "string" ? c : c?.text ?? "")).join("\n");
  if (typeof r.text === "string") return r.text;
  return JSON.stringify(r);
};
const target = "src/checkout.py";
const log = text(await git.git_log({ repo_path: ".", max_count: 100000 })).replace(/\r/g, "");
const commits: { hash: string; message: string }[] = [];
for (const b of log.split(/^Commit:\s*/m).slice(1)) {
  const lines = b.split("\n");
  const hash = lines[0].trim().replace(/^['"]|['"]$/g, "");
  const msgLines: string[] = [];
  let inMsg = false;
  for (const line of lines.slice(1)) {
    if (inMsg) { msgLines.push(line); continue; }
    const m = line.match(/^Message:\s?(.*)$/);
    if (m) { inMsg = true; msgLines.push(m[1]); }
  }
  let message = msgLines.join("\n").trim();
  const q = message.match(/^'([\s\S]*)'$/) || message.match(/^"([\s\S]*)"$/);
  if (q) message = q[1].replace(/\\n/g, "\n").trim();
  commits.push({ hash, message });
}
const analyze = (show: string) => {
  let sawHeader = false, hit = false;
  for (const l of show.replace(/\r/g, "").split("\n")) {
    let paths: string[] | null = null;
    if (/^(diff --git |--- |\+\+\+ )/.test(l)) {
      paths = l.replace(/^(diff --git |--- |\+\+\+ )/, "").split(/\s+/);
    } else {
      const st = l.match(/^\s*(\S+)\s+\|\s+(\d+|Bin)/);
      if (st) paths = [st[1]];
    }
    if (paths) {
      sawHeader = true;
      for (let p of paths) {
        p = p.replace(/^"|"$/g, "").replace(/^[ab]\//, "");
        if (p === target) hit = true;
      }
    }
  }
  return { sawHeader, hit };
};
const shows = await Promise.all(commits.map(async (c) => {
  try { return text(await git.git_show({ repo_path: ".", revision: c.hash })); } catch (e) { return ""; }
}));
const results = shows.map(analyze);
const anyHeaders = results.some((r) => r.sawHeader);
let changed: boolean[];
if (anyHeaders) {
  changed = results.map((r) => r.hit);
} else {
  console.log("git_show shows no diff headers; falling back to comparing file contents");
  const get = async (rev: string) => {
    try { return text(await git.git_show({ repo_path: ".", revision: `${rev}:${target}` })); } catch (e) { return null; }
  };
  changed = await Promise.all(commits.map(async (c) => {
    const [cur, prev] = await Promise.all([get(c.hash), get(`${c.hash}^`)]);
    return cur !== prev;
  }));
}
return commits.filter((_, i) => changed[i]).map((c) => c.message);

const g: any = await memory.read_graph({});
const logins: Record<string, string> = {};
for (const e of g.entities ?? []) {
  for (const o of e.observations ?? []) {
    const m = String(o).match(/tracker login:\s*[`'"]?([^\s`'",;]+)/i);
    if (m) { logins[e.name] = m[1].replace(/[.]$/, ""); break; }
  }
}
console.log("logins: " + JSON.stringify(logins));
const countOpen = async (login: string) => {
  const ids = new Set<string>();
  let offset = 0;
  for (let i = 0; i < 100; i++) {
    const r = await tracker.list_issues({ assignee: login, status: "open", limit: 50, offset });
    for (const is of r.issues) if (is.status === "open" && is.assignee === login) ids.add(is.id);
    if (r.next_offset == null || r.issues.length === 0) break;
    offset = r.next_offset;
  }
  return ids.size;
};
const out: Record<string, number> = {};
await Promise.all(Object.entries(logins).map(async ([name, login]) => { out[name] = await countOpen(login); }));
return out;

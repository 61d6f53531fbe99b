const listAll = async (filter: any) => {
  const out: any[] = [];
  let offset = 0;
  for (let i = 0; i < 200; i++) {
    const r = await tracker.list_issues({ ...filter, limit: 50, offset });
    out.push(...r.issues);
    if (r.next_offset == null || r.issues.length === 0) break;
    offset = r.next_offset;
  }
  return out;
};
const { projects } = await tracker.list_projects({});
const listEverywhere = async (filter: any) => {
  const lists = await Promise.all([listAll(filter), ...projects.map((p) => listAll({ ...filter, project: p.key }))]);
  const byId = new Map<string, any>();
  for (const l of lists) for (const is of l) byId.set(is.id, is);
  return [...byId.values()];
};
const issues = await listEverywhere({});
const out: Record<string, number> = {};
for (const i of issues) {
  if (i.status === "closed" || i.assignee == null || i.points == null) continue;
  out[i.assignee] = (out[i.assignee] ?? 0) + Number(i.points);
}
return out;

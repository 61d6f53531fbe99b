const { entities } = await memory.search_nodes({ query: "tracker login:" });
const out: Record<string, number> = {};
for (const e of entities) {
  const login = e.observations.map((o) => o.match(/^tracker login: (.+)$/)?.[1]).find(Boolean);
  if (login) out[e.name] = (await tracker.list_issues({ assignee: login, status: "open", limit: 1 })).total;
}
return out;

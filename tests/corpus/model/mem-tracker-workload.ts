const graph = await memory.read_graph();
const people = graph.entities.flatMap(e => {
  const obs = e.observations.map(o => o.match(/^tracker login:\s*(\S+)/i)).find(Boolean);
  return obs ? [{ name: e.name, login: obs[1] }] : [];
});
const counts = await Promise.all(people.map(p => tracker.list_issues({ assignee: p.login, status: "open", limit: 1 })));
return Object.fromEntries(people.map((p, i) => [p.name, counts[i].total]));

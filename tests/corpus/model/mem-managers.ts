const graph = await memory.read_graph();
return Object.fromEntries(graph.relations.filter(r => r.relationType === "manages").map(r => [r.to, r.from]));

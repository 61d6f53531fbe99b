const graph = await memory.read_graph();
return [...new Set(graph.relations.filter(r => r.to === "Apollo" && r.relationType === "works_on").map(r => r.from))].sort();

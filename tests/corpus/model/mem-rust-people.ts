const graph = await memory.read_graph();
return graph.entities
  .filter(e => e.entityType === "person" && e.observations.some(o => /\bRust\b/.test(o)))
  .map(e => e.name)
  .sort();

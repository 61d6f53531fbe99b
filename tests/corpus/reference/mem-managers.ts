const { entities, relations } = await memory.read_graph();
const projects = new Set(entities.filter((e) => e.entityType === "project").map((e) => e.name));
return Object.fromEntries(relations.filter((r) => r.relationType === "manages" && projects.has(r.to)).map((r) => [r.to, r.from]));

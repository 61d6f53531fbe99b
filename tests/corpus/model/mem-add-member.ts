const graph = await memory.read_graph();
const relationType = graph.relations.find(r => r.to === "Apollo" && !/manage/i.test(r.relationType))!.relationType;
await memory.create_relations({ relations: [{ from: "Mei Lin", to: "Apollo", relationType }] });
await memory.add_observations({ observations: [{ entityName: "Mei Lin", contents: ["Joined Apollo in April"] }] });
const updated = await memory.read_graph();
return [...new Set(updated.relations.filter(r => r.to === "Apollo" && r.relationType === relationType).map(r => r.from))].sort();

await memory.create_relations({ relations: [{ from: "Mei Lin", to: "Apollo", relationType: "works_on" }] });
await memory.add_observations({ observations: [{ entityName: "Mei Lin", contents: ["Joined Apollo in April"] }] });
const { relations } = await memory.open_nodes({ names: ["Apollo"] });
return relations.filter((r) => r.to === "Apollo" && r.relationType === "works_on").map((r) => r.from).sort();

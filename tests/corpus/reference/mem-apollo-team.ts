const { relations } = await memory.open_nodes({ names: ["Apollo"] });
return relations.filter((r) => r.to === "Apollo" && r.relationType === "works_on").map((r) => r.from).sort();

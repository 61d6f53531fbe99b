const { entities } = await memory.search_nodes({ query: "Rust" });
return entities.filter((e) => e.entityType === "person").map((e) => e.name).sort();

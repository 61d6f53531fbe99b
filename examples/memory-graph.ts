// Build a small knowledge graph in @modelcontextprotocol/server-memory, then
// query it, in one program:
//   CODEMODE_MEMORY_FILE=/tmp/graph.jsonl codemode run examples/memory-graph.ts --config examples/memory.json

const people = [
  { name: "Ada", role: "engineer", likes: ["Rust", "TypeScript"] },
  { name: "Grace", role: "engineer", likes: ["TypeScript"] },
  { name: "Linus", role: "operator", likes: ["Rust"] },
];
const languages = ["Rust", "TypeScript"];

await memory.create_entities({
  entities: [
    ...people.map((p) => ({ name: p.name, entityType: "person", observations: [`works as an ${p.role}`] })),
    ...languages.map((l) => ({ name: l, entityType: "language", observations: [`a programming language`] })),
  ],
});
await memory.create_relations({
  relations: people.flatMap((p) => p.likes.map((l) => ({ from: p.name, to: l, relationType: "likes" }))),
});

// Who likes Rust? Search, then open the matching people and follow relations.
const found = await memory.search_nodes({ query: "engineer" });
const engineers = found.entities.map((e) => e.name).sort();
const opened = await memory.open_nodes({ names: engineers });
const likesRust = opened.relations
  .filter((r) => r.to === "Rust" && r.relationType === "likes")
  .map((r) => r.from)
  .sort();
const fans = Object.fromEntries(
  languages.map((l) => [l, opened.relations.filter((r) => r.to === l).length]),
);
return { engineers, likesRust, fans };

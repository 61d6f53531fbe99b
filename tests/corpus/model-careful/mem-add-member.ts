const g: any = await memory.read_graph({});
const entities: any[] = g.entities ?? [];
const relations: any[] = g.relations ?? [];
const byName = new Map<string, any>(entities.map((e) => [e.name, e]));
const isProject = (n: string) => /project/i.test(byName.get(n)?.entityType ?? "");
const isPerson = (n: string) => {
  const e = byName.get(n);
  if (!e) return true;
  return /person|people|employee|engineer|developer|human|user|member|staff|manager/i.test(e.entityType) ||
    !/project|skill|language|technology|tech|tool|company|org|team|department|topic|framework/i.test(e.entityType);
};
const findApollo = () =>
  (entities.find((e) => e.name === "Apollo") ??
    entities.find((e) => /\bapollo\b/i.test(e.name) && /project/i.test(e.entityType)) ??
    entities.find((e) => /\bapollo\b/i.test(e.name)))?.name ?? "Apollo";
// Membership relations touching a project: returns {type, dir} candidates
const memberRels = (proj: string) => {
  const rels = relations.filter((r) =>
    ((r.to === proj && isPerson(r.from)) || (r.from === proj && isPerson(r.to))) &&
    !/manag|lead|own|report|know|skill/i.test(r.relationType));
  const score = (t: string) => (/^works?[_ -]?on$/i.test(t) ? 3 : /work|member|contribut|assign|develop|engineer|staff/i.test(t) && !/worked|former|past/i.test(t) ? 2 : 1);
  const best = Math.max(0, ...rels.map((r) => score(r.relationType)));
  return rels.filter((r) => score(r.relationType) === best);
};
const memberName = (r: any, proj: string) => (r.to === proj ? r.from : r.to);
const apollo = findApollo();
const existing = memberRels(apollo);
const counts = new Map<string, number>();
for (const r of existing) {
  const key = JSON.stringify([r.relationType, r.to === apollo ? "in" : "out"]);
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
let relType = "works_on", dir = "in";
if (counts.size) {
  const [k] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  [relType, dir] = JSON.parse(k);
}
console.log(`apollo=${apollo} relType=${relType} dir=${dir}`);
const mei = entities.find((e) => e.name === "Mei Lin") ?? entities.find((e) => e.name.toLowerCase() === "mei lin");
let meiName = mei?.name ?? "Mei Lin";
if (!mei) {
  console.log("Mei Lin not in graph; creating her");
  const personType = entities.find((e) => existing.some((r) => memberName(r, apollo) === e.name))?.entityType ?? "person";
  await memory.create_entities({ entities: [{ name: meiName, entityType: personType, observations: [] }] });
}
const rel = dir === "in" ? { from: meiName, to: apollo, relationType: relType } : { from: apollo, to: meiName, relationType: relType };
const already = relations.some((r) => r.from === rel.from && r.to === rel.to && r.relationType === rel.relationType);
if (!already) await memory.create_relations({ relations: [rel] });
if (!(mei?.observations ?? []).includes("Joined Apollo in April")) {
  await memory.add_observations({ observations: [{ entityName: meiName, contents: ["Joined Apollo in April"] }] });
}
const g2: any = await memory.read_graph({});
const members = (g2.relations ?? []).filter((r: any) => r.relationType === relType && (dir === "in" ? r.to === apollo : r.from === apollo))
  .map((r: any) => (dir === "in" ? r.from : r.to));
return [...new Set<string>(members)].sort();

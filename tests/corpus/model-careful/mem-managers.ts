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
const out: Record<string, string> = {};
let mrels = relations.filter((r) => /manag/i.test(r.relationType));
if (!mrels.length) mrels = relations.filter((r) => /lead/i.test(r.relationType));
for (const r of mrels) {
  let project: string, manager: string;
  if (isProject(r.to) && !isProject(r.from)) { project = r.to; manager = r.from; }
  else if (isProject(r.from) && !isProject(r.to)) { project = r.from; manager = r.to; }
  else if (entities.some((e) => /project/i.test(e.entityType))) continue;
  else if (/by$/i.test(r.relationType)) { project = r.from; manager = r.to; }
  else { project = r.to; manager = r.from; }
  out[project] = manager;
}
// fallback: observations on project entities
for (const e of entities.filter((e) => /project/i.test(e.entityType) && !(e.name in out))) {
  for (const o of e.observations ?? []) {
    const m = o.match(/manag(?:ed\s+by|er(?:\s+is)?\s*:?)\s*(.+?)\.?$/i);
    if (m) { out[e.name] = m[1].trim(); break; }
  }
}
return out;

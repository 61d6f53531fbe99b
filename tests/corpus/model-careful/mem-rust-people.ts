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
const neg = /\b(learn|learning|wants?|interested|plans?|hopes?|not|no longer|doesn't|does not|never|dislikes?|used to)\b/i;
const rustNames = new Set(entities.filter((e) => /^rust$/i.test(e.name) || (/\brust\b/i.test(e.name) && /skill|language|tech/i.test(e.entityType))).map((e) => e.name));
const people = new Set<string>();
for (const r of relations) {
  if (/learn|want|interest|dislike/i.test(r.relationType)) continue;
  if (rustNames.has(r.to) && isPerson(r.from) && !rustNames.has(r.from)) people.add(r.from);
  else if (rustNames.has(r.from) && isPerson(r.to) && !rustNames.has(r.to) && /by|known|user/i.test(r.relationType)) people.add(r.to);
}
for (const e of entities) {
  if (rustNames.has(e.name) || !isPerson(e.name) || /project/i.test(e.entityType)) continue;
  for (const o of e.observations ?? []) {
    if (/\bRust\b/.test(o) && !neg.test(o)) { people.add(e.name); break; }
  }
}
return [...people].filter((n) => !isProject(n)).sort();

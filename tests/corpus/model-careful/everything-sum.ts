const num = (r: any): number => {
  if (typeof r === "number") return r;
  const s = typeof r === "string" ? r : Array.isArray(r) ? r.map((x) => (typeof x === "string" ? x : x?.text ?? "")).join(" ") : JSON.stringify(r);
  const all = s.match(/-?\d+(?:\.\d+)?/g);
  if (!all) throw new Error("no number in " + s);
  return Number(all[all.length - 1]);
};
const first = num(await everything.get_sum({ a: 1234, b: 4321 }));
const second = num(await everything.get_sum({ a: first, b: 1000 }));
return second;

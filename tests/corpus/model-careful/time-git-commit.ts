const text = (r: any): string => {
  if (typeof r === "string") return r;
  if (r == null) return "";
  if (Array.isArray(r)) return r.map(text).join("\n");
  if (typeof r.content === "string") return r.content;
  if (typeof r.text === "string") return r.text;
  return JSON.stringify(r);
};
const log = text(await git.git_log({ repo_path: ".", max_count: 100000 })).replace(/\r/g, "");
let date: string | null = null;
for (const b of log.split(/^Commit:\s*/m).slice(1)) {
  const a = b.match(/^Author:\s*(.*)$/m);
  if (!a || !/dan\s+okafor/i.test(a[1])) continue;
  const d = b.match(/^Date:\s*(.*)$/m);
  if (d) { date = d[1].trim(); break; }
}
if (!date) throw new Error("no commit by Dan Okafor found");
console.log("commit date: " + date);
// time of day, and the UTC offset if any
const tm = date.match(/(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?/);
if (!tm) throw new Error("cannot parse date " + date);
let minutes = Number(tm[1]) * 60 + Number(tm[2]);
const off = tm[4];
if (off) {
  let offMin = 0;
  if (off !== "Z") {
    const o = off.match(/([+-])(\d{2}):?(\d{2})/)!;
    offMin = (o[1] === "-" ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3]));
  }
  // convert to Kolkata local (UTC+05:30, no DST)
  minutes = (((minutes - offMin + 330) % 1440) + 1440) % 1440;
}
const kolkata = `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
const r = await time.convert_time({ source_timezone: "Asia/Kolkata", time: kolkata, target_timezone: "Asia/Tokyo" });
const m = String(r.target.datetime).match(/T(\d{2}):(\d{2})/) ?? String(r.target.datetime).match(/(\d{1,2}):(\d{2})/);
return `${m![1].padStart(2, "0")}:${m![2]}`;

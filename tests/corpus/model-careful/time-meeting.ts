const hhmm = (dt: string) => {
  const m = String(dt).match(/T(\d{2}):(\d{2})/) ?? String(dt).match(/(\d{1,2}):(\d{2})/);
  if (!m) throw new Error("cannot parse time from " + dt);
  return `${m[1].padStart(2, "0")}:${m[2]}`;
};
const [k, s] = await Promise.all([
  time.convert_time({ source_timezone: "Asia/Tokyo", time: "09:30", target_timezone: "Asia/Kolkata" }),
  time.convert_time({ source_timezone: "Asia/Tokyo", time: "09:30", target_timezone: "Asia/Singapore" }),
]);
return { kolkata: hhmm(k.target.datetime), singapore: hhmm(s.target.datetime) };

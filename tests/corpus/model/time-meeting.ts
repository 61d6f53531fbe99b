const [k, s] = await Promise.all([
  time.convert_time({ source_timezone: "Asia/Tokyo", time: "09:30", target_timezone: "Asia/Kolkata" }),
  time.convert_time({ source_timezone: "Asia/Tokyo", time: "09:30", target_timezone: "Asia/Singapore" }),
]);
return { kolkata: k.target.datetime.slice(11, 16), singapore: s.target.datetime.slice(11, 16) };

const at = async (target_timezone: string) =>
  (await time.convert_time({ source_timezone: "Asia/Tokyo", time: "09:30", target_timezone })).target.datetime.slice(11, 16);
return { kolkata: await at("Asia/Kolkata"), singapore: await at("Asia/Singapore") };

const log = await git.git_log({ repo_path: ".", max_count: 1000 });
const date = log.match(/^Author: Dan Okafor\nDate: \S+ (\d\d:\d\d)/m)![1];
const converted = await time.convert_time({ source_timezone: "Asia/Kolkata", time: date, target_timezone: "Asia/Tokyo" });
return converted.target.datetime.slice(11, 16);

const dirs = await filesystem.list_allowed_directories();
const root = dirs.content.split("\n").map(l => l.trim()).filter(Boolean).pop()!;
const [app, env] = await Promise.all([
  filesystem.read_text_file({ path: `${root}/config/app.json` }),
  filesystem.read_text_file({ path: `${root}/config/.env` }),
]);
const config = JSON.parse(app.content);
const vars = Object.fromEntries(env.content.split("\n").filter(l => l.includes("=") && !l.trim().startsWith("#")).map(l => {
  const i = l.indexOf("=");
  return [l.slice(0, i).trim(), l.slice(i + 1).trim().replace(/^["']|["']$/g, "")];
}));
return { port: Number(config.port), database_url: vars.DATABASE_URL, debug: vars.DEBUG === "true" };

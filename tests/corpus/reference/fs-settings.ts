const app = JSON.parse((await filesystem.read_text_file({ path: "config/app.json" })).content);
const env = (await filesystem.read_text_file({ path: "config/.env" })).content;
const get = (key: string) => env.match(new RegExp(`^${key}=(.*)$`, "m"))![1];
return { port: app.port, database_url: get("DATABASE_URL"), debug: get("DEBUG") === "true" };

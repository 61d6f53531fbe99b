// Calls each tool once, as days of ordinary use would, so that codemode has
// learned the result types of tools that declare none. Runs in a throwaway
// copy of the environment (it writes). Leaves out the everything server's
// tools that need a client (sampling, elicitation, roots), toggle its
// notifications, or print the machine's environment.
const once = async (call: () => Promise<unknown>) => {
  try {
    await call();
  } catch (e) {
    console.log(String(e));
  }
};
const repo_path = ".";
await once(() => git.git_status({ repo_path }));
await once(() => git.git_log({ repo_path }));
await once(() => git.git_show({ repo_path, revision: "HEAD" }));
await once(() => git.git_branch({ repo_path, branch_type: "local" }));
await once(() => git.git_diff_unstaged({ repo_path }));
await once(() => git.git_diff_staged({ repo_path }));
await once(() => git.git_diff({ repo_path, target: "release/1.0" }));
await once(() => git.git_add({ repo_path, files: ["notes.txt"] }));
await once(() => git.git_reset({ repo_path }));
await once(() => git.git_add({ repo_path, files: ["notes.txt"] }));
await once(() => git.git_commit({ repo_path, message: "Add notes" }));
await once(() => git.git_create_branch({ repo_path, branch_name: "scratch" }));
await once(() => git.git_checkout({ repo_path, branch_name: "scratch" }));

await once(() => sqlite.list_tables());
await once(() => sqlite.describe_table({ table_name: "customers" }));
await once(() => sqlite.read_query({ query: "SELECT * FROM customers LIMIT 3" }));
await once(() => sqlite.write_query({ query: "UPDATE customers SET country = country WHERE id = 1" }));
await once(() => sqlite.create_table({ query: "CREATE TABLE scratch (id INTEGER PRIMARY KEY)" }));
await once(() => sqlite.append_insight({ insight: "Most customers are in Brazil, France and the USA." }));

await once(() => filesystem.list_allowed_directories());
await once(() => filesystem.list_directory({ path: "." }));
await once(() => filesystem.list_directory_with_sizes({ path: "docs" }));
await once(() => filesystem.directory_tree({ path: "." }));
await once(() => filesystem.search_files({ path: ".", pattern: "*.json" }));
await once(() => filesystem.get_file_info({ path: "README.md" }));
await once(() => filesystem.read_file({ path: "README.md" }));
await once(() => filesystem.read_text_file({ path: "docs/api.md" }));
await once(() => filesystem.read_multiple_files({ paths: ["docs/faq.md", "docs/guide.md"] }));
await once(() => filesystem.read_media_file({ path: "docs/diagram.txt" }));
await once(() => filesystem.create_directory({ path: "scratch" }));
await once(() => filesystem.write_file({ path: "scratch/a.txt", content: "one\n" }));
await once(() => filesystem.edit_file({ path: "scratch/a.txt", edits: [{ oldText: "one", newText: "two" }] }));
await once(() => filesystem.move_file({ source: "scratch/a.txt", destination: "scratch/b.txt" }));

await once(() => memory.read_graph());
await once(() => memory.search_nodes({ query: "Berlin" }));
await once(() => memory.open_nodes({ names: ["Hermes"] }));
await once(() => memory.create_entities({ entities: [{ name: "Zed", entityType: "person", observations: ["Intern"] }] }));
await once(() => memory.create_relations({ relations: [{ from: "Zed", to: "Hermes", relationType: "works_on" }] }));
await once(() => memory.add_observations({ observations: [{ entityName: "Zed", contents: ["Based in Lisbon"] }] }));
await once(() => memory.delete_observations({ deletions: [{ entityName: "Zed", observations: ["Intern"] }] }));
await once(() => memory.delete_relations({ relations: [{ from: "Zed", to: "Hermes", relationType: "works_on" }] }));
await once(() => memory.delete_entities({ entityNames: ["Zed"] }));

await once(() => time.get_current_time({ timezone: "Europe/Paris" }));
await once(() => time.convert_time({ source_timezone: "Europe/Paris", time: "14:00", target_timezone: "America/New_York" }));

await once(() => everything.echo({ message: "hello" }));
await once(() => everything.get_sum({ a: 1, b: 2 }));
await once(() => everything.get_structured_content({ location: "Chicago" }));
await once(() => everything.get_annotated_message({ messageType: "success", includeImage: true }));
await once(() => everything.get_tiny_image());
await once(() => everything.get_resource_links({ count: 2 }));
await once(() => everything.get_resource_reference({ resourceType: "Text", resourceId: 1 }));
await once(() => everything.gzip_file_as_resource({ name: "a.gz", data: "data:text/plain;base64,aGVsbG8=", outputType: "resource" }));
await once(() => everything.trigger_long_running_operation({ duration: 0.2, steps: 1 }));

await once(() => tracker.list_projects());
await once(() => tracker.list_users());
await once(() => tracker.list_issues({ project: "OPS" }));
await once(() => tracker.get_issue({ id: "OPS-1" }));
await once(() => tracker.search_issues({ query: "login" }));
await once(() => tracker.project_stats({ project: "OPS" }));
await once(() => tracker.create_issue({ project: "OPS", title: "Scratch issue" }));
await once(() => tracker.update_issue({ id: "OPS-13", changes: { priority: "low" } }));
await once(() => tracker.assign_issue({ id: "OPS-13", assignee: "linus" }));
await once(() => tracker.add_comment({ issue_id: "OPS-13", author: "linus", body: "On it." }));
await once(() => tracker.close_issue({ id: "OPS-13", resolution: "fixed" }));
await once(() => tracker.delete_issue({ id: "OPS-13", confirm: true }));
return "warm";

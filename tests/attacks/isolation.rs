//! Programs run inside the server's own process, each in a fresh instance.

use super::*;

/// The processes whose parent is `pid`.
fn children(pid: u32) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces; split at the last ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let parent: Option<u32> = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok());
        if parent == Some(pid) {
            found.push(head.to_owned());
        }
    }
    found
}

/// The CPU time process `pid` has used, in clock ticks (user and system).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let (_, rest) = stat.rsplit_once(')').unwrap();
    // After the comm: state ppid ... utime (the 12th) stime (the 13th).
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn executions_start_no_process() {
    // The demo upstream lives inside `serve`: it has no child of its own.
    let mut serve = RawStdio::start(&[]);
    let idle = cpu_ticks(serve.pid());
    let id = serve.send_request(
        "tools/call",
        json!({"name": "execute", "arguments": {"code":
            "const t = Date.now(); while (Date.now() - t < 1500) {}\nreturn (await demo.list_projects()).projects.length;"}}),
    );
    // The program is running once serve, idle before, burns CPU time.
    wait_for("the program to run", || cpu_ticks(serve.pid()) >= idle + 10);
    assert_eq!(children(serve.pid()), Vec::<String>::new(), "while running");
    let response = serve.response();
    assert_eq!(response["id"], id);
    assert_eq!(
        response["result"]["structuredContent"]["result"], 3,
        "{response}"
    );
    assert_eq!(children(serve.pid()), Vec::<String>::new(), "afterwards");
}

#[test]
fn what_one_program_changes_is_gone_for_the_next() {
    let mut serve = RawStdio::start(&[]);
    let report = serve.execute(
        "globalThis.stolen = 'secret'; Object.prototype.polluted = true; Array.prototype.push = () => 0; return 1;",
    );
    assert_eq!(report["result"], 1, "{report}");
    let report = serve.execute(
        "const a = []; a.push(1); return [typeof stolen, ({}).polluted ?? null, a.length];",
    );
    assert_eq!(report["result"], json!(["undefined", null, 1]), "{report}");
}

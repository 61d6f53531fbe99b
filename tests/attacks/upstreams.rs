//! Upstream servers that flood, and what a server gets to see.

use super::*;

#[test]
fn a_flood_of_list_changed_notifications_is_one_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let mut serve = RawStdio::start(&["--config", config.to_str().unwrap()]);
    let lists_before = hostile_log(&log)
        .iter()
        .filter(|e| e["list"] == true)
        .count();
    let report = serve.execute("return await hostile.flood({ n: 20000 });");
    assert_eq!(report["result"], "flooded", "{report}");
    // Give the coalescing window time to pass, then look.
    std::thread::sleep(Duration::from_secs(2));
    let lists = hostile_log(&log)
        .iter()
        .filter(|e| e["list"] == true)
        .count()
        - lists_before;
    assert!(
        (1..=3).contains(&lists),
        "20,000 notifications caused {lists} re-lists"
    );
    serve.still_serves();
}

#[test]
fn stdio_servers_do_not_see_the_auth_token() {
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("env.txt");
    let config = dir.path().join("mcp.json");
    let text = json!({"mcpServers": {"demo": {"command": "sh", "args": ["-c",
        format!("env > {}; exec {} demo-server", seen.display(), codemode_path())]}}});
    std::fs::write(&config, text.to_string()).unwrap();
    let port = free_port();
    let mut server = Background(
        Command::new(codemode_path())
            .args([
                "serve",
                "--http",
                &format!("127.0.0.1:{port}"),
                "--auth-token",
                "CODEMODE_TEST_SECRET",
            ])
            .args(["--config", config.to_str().unwrap()])
            .env("CODEMODE_TEST_SECRET", "s3cret-token-value")
            .env("CODEMODE_TEST_PUBLIC", "visible")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port, &mut server);
    wait_for("the server to write its environment", || {
        std::fs::read_to_string(&seen).is_ok_and(|env| env.contains("CODEMODE_TEST_PUBLIC"))
    });
    let env = std::fs::read_to_string(&seen).unwrap();
    assert!(
        env.contains("CODEMODE_TEST_PUBLIC=visible"),
        "the rest of the environment is passed on"
    );
    assert!(
        !env.contains("s3cret-token-value"),
        "the token is not: {env}"
    );
    assert!(!env.contains("CODEMODE_TEST_SECRET"));
}

#[test]
fn input_files_past_their_limit_are_refused() {
    for args in [
        vec!["types", "--config", "/dev/zero"],
        vec!["types", "--tools-file", "/dev/zero"],
        vec!["run", "/dev/zero"],
    ] {
        let output = codemode(&args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = stderr(&output);
        assert!(
            stderr.contains("/dev/zero is larger than") && stderr.contains("is it the right file?"),
            "{args:?}: {stderr}"
        );
    }
}

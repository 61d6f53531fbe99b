//! nginx in front of `codemode serve --http` replicas, with the shipped
//! `deploy/nginx.conf`: for the replica test, and the benchmark's replica
//! rows (which include this file).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The distribution's nginx, if installed (`scripts/test.sh` installs it).
pub(crate) fn binary() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// A running nginx, stopped the way it wants (SIGTERM to its master) so
/// that its workers do not outlive it.
pub(crate) struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// nginx `binary` balancing `replicas` (one or two ports) with the shipped
/// config, its files in `dir`, once it listens; and its port. nginx cannot
/// report a port 0 was given, so the port is one that was free a moment ago,
/// and taken again (another one tried) if someone got there first.
pub(crate) fn start(binary: &Path, dir: &Path, replicas: &[u16]) -> (Nginx, u16) {
    for _ in 0..20 {
        let listen = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        if let Some(nginx) = start_on(binary, dir, listen, replicas) {
            return (nginx, listen);
        }
    }
    panic!("nginx found no free port in 20 tries");
}

/// nginx on `listen`; `None` if the port was taken meanwhile.
fn start_on(binary: &Path, dir: &Path, listen: u16, replicas: &[u16]) -> Option<Nginx> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = std::fs::read_to_string(repo.join("deploy/nginx.conf")).unwrap();
    let mut site = shipped.replace("127.0.0.1:8080", &format!("127.0.0.1:{listen}"));
    // The shipped upstream block names two replicas: keep as many as run.
    for (n, shipped_port) in ["8081", "8082"].iter().enumerate() {
        let line = format!("server 127.0.0.1:{shipped_port} ");
        site = match replicas.get(n) {
            Some(port) => site.replace(&line, &format!("server 127.0.0.1:{port} ")),
            None => site.replace(&line, "# server "),
        };
    }
    std::fs::write(dir.join("codemode.conf"), site).unwrap();
    let main = std::fs::read_to_string(repo.join("fixtures/nginx/main.conf")).unwrap();
    let config = dir.join("nginx.conf");
    std::fs::write(&config, main.replace("DIR", &dir.display().to_string())).unwrap();
    let check = Command::new(binary)
        .args(["-t", "-q", "-p"])
        .arg(dir)
        .arg("-c")
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let _ = std::fs::remove_file(dir.join("error.log"));
    // Its own messages go to DIR/error.log (fixtures/nginx/main.conf).
    let mut nginx = Nginx(
        Command::new(binary)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", listen)).is_err() {
        if let Ok(Some(status)) = nginx.0.try_wait() {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            if log.contains("Address already in use") {
                return None;
            }
            panic!("nginx exited with {status} before listening on {listen}:\n{log}");
        }
        assert!(
            Instant::now() < deadline,
            "nginx never listened on {listen}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(nginx)
}

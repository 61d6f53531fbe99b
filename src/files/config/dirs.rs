//! Where codemode keeps a user's files, per OS. The environment is passed in
//! so tests can point it elsewhere.

use std::path::{Path, PathBuf};

/// Reads a variable of the environment.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Where a user's configs live: `~/Library/Application Support` on macOS,
/// `%APPDATA%` on Windows, `$XDG_CONFIG_HOME` or `~/.config` elsewhere.
pub fn user_config_dir(home: &Path, env: Env) -> PathBuf {
    if cfg!(target_os = "macos") {
        home.join("Library/Application Support")
    } else if cfg!(windows) {
        env("APPDATA").map_or_else(|| home.join("AppData/Roaming"), PathBuf::from)
    } else {
        env("XDG_CONFIG_HOME").map_or_else(|| home.join(".config"), PathBuf::from)
    }
}

/// Where a user's caches live: `~/Library/Caches` on macOS, `%LOCALAPPDATA%`
/// on Windows, `$XDG_CACHE_HOME` or `~/.cache` elsewhere.
pub fn user_cache_dir(home: &Path, env: Env) -> PathBuf {
    if cfg!(target_os = "macos") {
        home.join("Library/Caches")
    } else if cfg!(windows) {
        env("LOCALAPPDATA").map_or_else(|| home.join("AppData/Local"), PathBuf::from)
    } else {
        env("XDG_CACHE_HOME").map_or_else(|| home.join(".cache"), PathBuf::from)
    }
}

/// codemode's own folder in [`user_config_dir`] or [`user_cache_dir`], from
/// the process environment; `None` when there is no home folder.
pub fn codemode_dir(kind: fn(&Path, Env) -> PathBuf) -> Option<PathBuf> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let home = super::home_dir(&env)?;
    Some(kind(Path::new(&home), &env).join("codemode"))
}

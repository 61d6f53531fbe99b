//! Writing the files that hold secrets or tool data: codemode's config,
//! OAuth tokens, traces, caches, and the edits and backups of a client's
//! config. Another local user reads none of them, and a symbolic link
//! planted at one's path sends no write elsewhere.
//!
//! A file is replaced whole through a temporary file in its folder, created
//! readable by the user alone (or with the mode of the file it replaces), so
//! a reader never sees half of one. Appended files are opened without
//! following a link and created the same way. Folders made for them are the
//! user's alone.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The mode of a file codemode creates: read and written by the user alone.
#[cfg(unix)]
const PRIVATE: u32 = 0o600;

/// Whose permissions a replaced file gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// The user's alone, whatever the file had (secrets).
    Private,
    /// The replaced file's, when the user owns it (they chose them); else
    /// the user's alone.
    Kept,
    /// As [`Access::Kept`], but opened to others no more than the permission
    /// bits given: for a file taking secrets from another, which must not
    /// become readable by more people than they were.
    KeptWithin(u32),
    /// A user's own file (a client's config): its permissions, owner and
    /// group as they were, whoever owns it, so one edited by codemode run
    /// as root stays its owner's.
    Original,
}

/// Creates `dir` and its missing parents, each readable by the user alone.
pub(crate) fn create_dirs(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Replaces codemode's own file `path` with `bytes`. A link at `path` is
/// refused, never followed: codemode's files are where it names them.
pub(crate) fn replace(path: &Path, bytes: &[u8], mode: Access) -> io::Result<()> {
    refuse_link(path)?;
    refuse_special(path)?;
    let kept = match mode {
        Access::Private => Kept::default(),
        Access::Kept => Kept::own(path),
        Access::KeptWithin(bits) => {
            let mut kept = Kept::own(path);
            kept.mode = kept.mode.map(|mode| mode & (bits | 0o700));
            kept
        }
        Access::Original => Kept::original(path),
    };
    write_through_temporary(path, bytes, kept, Clobber::Replace)
}

/// Writes `bytes` to `path`, which must not exist yet (a link there counts),
/// with the permissions, owner and group of `like` (the user's file this
/// one copies); the file appears whole or not at all.
pub(crate) fn create_new(path: &Path, bytes: &[u8], like: &Path) -> io::Result<()> {
    write_through_temporary(path, bytes, Kept::original(like), Clobber::Refuse)
}

/// The permission bits `path` gives its group and others (none when it
/// cannot be read, or off Unix).
pub(crate) fn others_bits(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).map_or(0, |meta| meta.mode() & 0o077)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        0
    }
}

/// Why what the file at `path` says could come from another local user
/// (it is theirs, or others may write it), if it could: a file of
/// codemode's own that another user wrote (a shared `/tmp` path) must not
/// be taken for what codemode learned.
pub(crate) fn written_by_others(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        if meta.uid() != rustix::process::geteuid().as_raw() {
            return Some(format!("it belongs to another user (uid {})", meta.uid()));
        }
        if meta.mode() & 0o022 != 0 {
            return Some(format!(
                "others may write to it (mode {:o})",
                meta.mode() & 0o777
            ));
        }
    }
    let _ = path;
    None
}

/// The user whose file `path` is (or, when there is none, whose folder
/// it would go in) when codemode runs as root and that is another user:
/// a file root makes there would be root's, and its user could not read it.
pub(crate) fn another_users_as_root(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if !rustix::process::geteuid().is_root() {
            return None;
        }
        let owner = path
            .ancestors()
            .filter(|p| !p.as_os_str().is_empty())
            .find_map(|p| std::fs::metadata(p).ok())?
            .uid();
        (owner != 0).then_some(owner)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The file a user's `path` names: a link there (as dotfile managers make)
/// is followed to its target, so an edit changes the target and keeps the
/// link.
pub(crate) fn resolve_link(path: &Path) -> io::Result<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(path),
        _ => Ok(path.to_owned()),
    }
}

/// Opens codemode's own file `path` for appending, creating it readable by
/// the user alone (and making an existing one so). Refused: a link (never followed), anything but a plain
/// file (a FIFO would block), a file of another user (who could read what
/// is appended) and a file with other names (a hard link to elsewhere).
pub(crate) fn append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    open_own(path, &mut options)
}

/// Holds an exclusive lock on the file `path` (created readable by the
/// user alone) until the returned file is dropped.
pub(crate) fn lock(path: &Path) -> io::Result<File> {
    lock_owned(path, None)
}

/// [`lock`] for a user's file `like` (a client's config): the lock is
/// theirs as the file is, so that after root edited the file its owner
/// can still take the lock, and root can take one its owner made.
pub(crate) fn lock_beside(path: &Path, like: &Path) -> io::Result<File> {
    lock_owned(path, Kept::original(like).owner)
}

fn lock_owned(path: &Path, owner: Option<(u32, u32)>) -> io::Result<File> {
    create_dirs(path.parent().unwrap_or(Path::new(".")))?;
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(false);
    let file = open_owned(path, &mut options, owner)?;
    file.lock()?;
    Ok(file)
}

/// Whether a temporary file may take the place of an existing one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Clobber {
    Replace,
    Refuse,
}

/// What a new file keeps of the one it replaces or copies; nothing (the
/// user's alone, owned by the user) by default.
#[derive(Default)]
struct Kept {
    mode: Option<u32>,
    owner: Option<(u32, u32)>,
}

impl Kept {
    /// The permission bits of `path` when it is a plain file of the user's
    /// own; nothing for anything else, so a world-readable file planted by
    /// someone else lends its mode to nothing.
    fn own(path: &Path) -> Kept {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if let Ok(meta) = std::fs::symlink_metadata(path)
                && meta.is_file()
                && meta.uid() == rustix::process::geteuid().as_raw()
            {
                return Kept {
                    mode: Some(meta.mode() & 0o777),
                    owner: None,
                };
            }
        }
        let _ = path;
        Kept::default()
    }

    /// The permission bits, owner and group of the plain file at `path`.
    fn original(path: &Path) -> Kept {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if let Ok(meta) = std::fs::symlink_metadata(path)
                && meta.is_file()
            {
                return Kept {
                    mode: Some(meta.mode() & 0o777),
                    owner: Some((meta.uid(), meta.gid())),
                };
            }
        }
        let _ = path;
        Kept::default()
    }
}

/// Writes `bytes` into a new file beside `path` (the user's alone, or as
/// `kept` says), flushes it to disk and renames it to `path`. A rename
/// never follows a link: a link planted meanwhile is replaced, not written
/// through.
fn write_through_temporary(
    path: &Path,
    bytes: &[u8],
    kept: Kept,
    clobber: Clobber,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    create_dirs(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    // tempfile creates it with O_EXCL and mode 0600.
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Some((uid, gid)) = kept.owner {
            // Only root can give a file away; anyone else keeps it theirs.
            let _ = std::os::unix::fs::fchown(temporary.as_file(), Some(uid), Some(gid));
        }
        if let Some(mode) = kept.mode {
            temporary
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = kept;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    match clobber {
        Clobber::Replace => temporary.persist(path).map(drop),
        Clobber::Refuse => temporary.persist_noclobber(path).map(drop),
    }
    .map_err(|error| error.error)
}

fn refuse_link(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(link_error(path)),
        _ => Ok(()),
    }
}

/// Refuses a device, FIFO, socket or folder at `path`: replacing one (a
/// `--shapes /dev/null` run as root) would put a file in its place.
fn refuse_special(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is not a plain file (a device, FIFO or folder), and codemode replaces only plain files, never one of those; name a file",
                path.display()
            ),
        )),
        _ => Ok(()),
    }
}

fn link_error(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is a symbolic link, and codemode writes its own files only where they are named (a link planted there could send them elsewhere); remove the link, or name the file it points to",
            path.display()
        ),
    )
}

/// Opens `path` with `options`, never through a link and, on Unix, creating
/// it readable by the user alone; then checks it is a plain file of the
/// user's own with no other name.
fn open_own(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    open_owned(path, options, None)
}

/// [`open_own`], where a file of `owner` (a user's, whose file this one
/// goes with) counts as the user's own, and one the user makes is given to
/// `owner` (which only root can do).
fn open_owned(
    path: &Path,
    options: &mut OpenOptions,
    owner: Option<(u32, u32)>,
) -> io::Result<File> {
    #[cfg(not(unix))]
    let _ = owner;
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO planted there fails rather than waits.
        options
            .mode(PRIVATE)
            .custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits() as i32);
    }
    let file = options
        .open(path)
        .map_err(|error| match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => link_error(path),
            _ => error,
        })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = file.metadata()?;
        let me = rustix::process::geteuid().as_raw();
        let refused = if !meta.is_file() {
            Some("is not a plain file")
        } else if meta.uid() != me && owner.is_none_or(|(uid, _)| meta.uid() != uid) {
            Some("belongs to another user, who could read what codemode writes there")
        } else if meta.nlink() > 1 {
            Some("has other names (hard links), so writing there would change another file")
        } else {
            None
        };
        if let Some(why) = refused {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} {why}; remove it, or choose a path in a folder of your own",
                    path.display()
                ),
            ));
        }
        if let Some((uid, gid)) = owner
            && meta.uid() == me
            && uid != me
        {
            // Only root can give a file away; anyone else keeps it theirs.
            let _ = std::os::unix::fs::fchown(&file, Some(uid), Some(gid));
        }
        // One others could read (an older codemode made traces 0644) is
        // made the user's alone before anything more is written to it.
        if meta.mode() & 0o077 != 0 {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(PRIVATE))?;
            tracing::warn!(
                "{} could be read by other users (mode {:o}); it is now readable by you alone, as what codemode writes there may hold secrets",
                path.display(),
                meta.mode() & 0o777
            );
        }
    }
    Ok(file)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().mode() & 0o777
    }

    #[test]
    fn new_files_and_folders_are_the_users_alone_and_replaced_ones_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("made/here/file.json");
        replace(&file, b"one", Access::Kept).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&dir.path().join("made")), 0o700);
        assert_eq!(mode(&dir.path().join("made/here")), 0o700);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        replace(&file, b"two", Access::Kept).unwrap();
        assert_eq!(
            (mode(&file), std::fs::read(&file).unwrap()),
            (0o640, b"two".to_vec())
        );
        replace(&file, b"three", Access::Private).unwrap();
        assert_eq!(mode(&file), 0o600);
        // Nothing is left beside it.
        assert_eq!(
            std::fs::read_dir(file.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn links_are_refused_for_own_files_and_followed_for_a_users() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "precious").unwrap();
        let link = dir.path().join("link");
        symlink(&target, &link).unwrap();
        let error = replace(&link, b"x", Access::Kept).unwrap_err().to_string();
        assert!(error.contains("is a symbolic link"), "{error}");
        let error = append(&link).unwrap_err().to_string();
        assert!(error.contains("is a symbolic link"), "{error}");
        assert!(lock(&link).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
        assert_eq!(resolve_link(&link).unwrap(), target.canonicalize().unwrap());
        assert_eq!(resolve_link(&target).unwrap(), target);
    }

    #[test]
    fn a_users_file_keeps_its_owner_and_mode_and_a_strangers_lends_nothing_to_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.json");
        std::fs::write(&file, "{}").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        // Giving a file away takes root: elsewhere this tests the mode alone.
        let given = std::os::unix::fs::chown(&file, Some(65534), Some(65534)).is_ok();
        replace(&file, b"{\"a\": 1}", Access::Original).unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o644);
        if given {
            assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
            // codemode's own file in its place: a stranger's mode is not kept.
            replace(&file, b"{}", Access::Kept).unwrap();
            assert_eq!(mode(&file), 0o600);
            assert_ne!(std::fs::metadata(&file).unwrap().uid(), 65534);
        }
    }

    #[test]
    fn a_new_file_never_replaces_one_and_takes_the_mode_it_copies() {
        let dir = tempfile::tempdir().unwrap();
        let original = dir.path().join("original");
        std::fs::write(&original, "o").unwrap();
        std::fs::set_permissions(&original, std::fs::Permissions::from_mode(0o640)).unwrap();
        let copy = dir.path().join("copy");
        create_new(&copy, b"o", &original).unwrap();
        assert_eq!(mode(&copy), 0o640);
        let error = create_new(&copy, b"other", &original).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&copy).unwrap(), b"o");
    }

    #[test]
    fn appended_files_are_private_plain_and_single_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("trace.jsonl");
        let mut opened = append(&file).unwrap();
        opened.write_all(b"line\n").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::metadata(&file).unwrap().nlink(), 1);
        std::fs::hard_link(&file, dir.path().join("other")).unwrap();
        let error = append(&file).unwrap_err().to_string();
        assert!(error.contains("hard links"), "{error}");
        let error = append(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("not a plain file") || error.contains("directory"),
            "{error}"
        );
    }
}

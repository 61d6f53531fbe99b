//! Sandbox workers forked from a zygote process (Linux).
//!
//! A worker started with `exec` costs about 3 ms and 1.2 MiB of private
//! memory, 780 KiB of which is the executable's data as relocated at load
//! time. A zygote is one `codemode sandbox-zygote` process that only forks:
//! its children share those pages with it copy-on-write, and are ready in
//! under a millisecond. Each child is an ordinary worker (one execution
//! at a time, killed alone); it only skips the `exec`.
//!
//! The host and the zygote talk over a sequenced-packet socket on the
//! zygote's stdin. A request is one byte carrying the new worker's stdin and
//! stdout (two pipe ends) as `SCM_RIGHTS`; the answer is the worker's pid as
//! four bytes with a pidfd, or a negative errno without one. The host signals
//! and watches the worker through the pidfd, which cannot name another
//! process even after the pid is reused.
//!
//! `fork` is the one `unsafe` call in codemode: it is sound here because the
//! zygote never starts a second thread.
#![allow(unsafe_code)]

use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::process::{ExitCode, Stdio};
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType, recvmsg, sendmsg, socketpair,
    sockopt,
};
use rustix::process::{
    Pid, PidfdFlags, Signal, WaitOptions, pidfd_open, pidfd_send_signal, waitpid,
};
use tokio::process::Child;

/// The hidden subcommand that runs a zygote.
pub const SUBCOMMAND: &str = "sandbox-zygote";

/// The name forked workers give themselves (`ps`, `top`), since they keep
/// the zygote's command line.
pub const WORKER_NAME: &std::ffi::CStr = c"sandbox-worker";

/// How long the host waits for the zygote to start or to answer a request.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// How often an idle zygote reaps workers that have exited.
const REAP_EVERY: Timespec = Timespec {
    tv_sec: 1,
    tv_nsec: 0,
};

/// The zygote process's main loop: fork a worker per request until the host
/// closes the socket. In a forked child, it returns the worker's exit code.
pub fn main() -> ExitCode {
    // Nothing here starts a thread: only the forking thread survives a fork.
    let socket = std::io::stdin().as_fd().try_clone_to_owned();
    let socket = match socket {
        Ok(socket) => socket,
        Err(error) => return fail("cannot open its socket", error),
    };
    if let Err(error) = pidfd_open(rustix::process::getpid(), PidfdFlags::empty()) {
        return fail("pidfd_open is not available", error);
    }
    if let Err(error) = send_answer(&socket, 0, None) {
        return fail("cannot reach the host", error);
    }
    loop {
        // Exited workers are reaped here, never by a signal handler, so a
        // worker's pid cannot be reused before the host has its pidfd.
        while let Ok(Some(_)) = waitpid(None, WaitOptions::NOHANG) {}
        let mut ready = [PollFd::new(&socket, PollFlags::IN)];
        match poll(&mut ready, Some(&REAP_EVERY)) {
            Ok(0) | Err(Errno::INTR) => continue,
            Ok(_) => {}
            Err(error) => return fail("cannot wait for requests", error),
        }
        let (stdin, stdout) = match receive_request(&socket) {
            Ok(Some(ends)) => ends,
            Ok(None) => return ExitCode::SUCCESS,
            Err(Errno::INTR | Errno::AGAIN) => continue,
            Err(error) => return fail("cannot read a request", error),
        };
        // SAFETY: this process has one thread (see above), so the child
        // starts with every lock free and every structure consistent.
        let child = unsafe { libc::fork() };
        if child == 0 {
            drop(socket);
            return become_worker(stdin, stdout);
        }
        drop((stdin, stdout));
        let answer = match Pid::from_raw(child) {
            None => send_answer(
                &socket,
                -std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EAGAIN),
                None,
            ),
            Some(pid) => match pidfd_open(pid, PidfdFlags::empty()) {
                Ok(pidfd) => send_answer(&socket, child, Some(&pidfd)),
                Err(error) => send_answer(&socket, -error.raw_os_error(), None),
            },
        };
        if let Err(error) = answer {
            return fail("cannot answer the host", error);
        }
    }
}

fn fail(what: &str, error: impl std::fmt::Display) -> ExitCode {
    eprintln!("sandbox zygote: {what} ({error})");
    ExitCode::FAILURE
}

/// Runs in the forked child: the pipe ends become stdin and stdout, then
/// the worker runs as usual.
fn become_worker(stdin: OwnedFd, stdout: OwnedFd) -> ExitCode {
    let _ = rustix::thread::set_name(WORKER_NAME);
    let taken =
        rustix::stdio::dup2_stdin(&stdin).and_then(|()| rustix::stdio::dup2_stdout(&stdout));
    if let Err(error) = taken {
        eprintln!("sandbox worker: cannot take over its pipes ({error})");
        return ExitCode::FAILURE;
    }
    drop((stdin, stdout));
    super::worker::main()
}

/// The next request's two pipe ends; `None` when the host has gone.
fn receive_request(socket: &OwnedFd) -> rustix::io::Result<Option<(OwnedFd, OwnedFd)>> {
    let mut byte = [0u8; 1];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(2))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let message = recvmsg(
        socket,
        &mut [IoSliceMut::new(&mut byte)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    if message.bytes == 0 {
        return Ok(None);
    }
    let mut fds = received_fds(&mut control).into_iter();
    match (fds.next(), fds.next(), fds.next()) {
        (Some(stdin), Some(stdout), None) => Ok(Some((stdin, stdout))),
        _ => Err(Errno::BADMSG),
    }
}

fn received_fds(control: &mut RecvAncillaryBuffer<'_>) -> Vec<OwnedFd> {
    let mut fds = Vec::new();
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(received) = message {
            fds.extend(received);
        }
    }
    fds
}

fn send_answer(
    socket: &OwnedFd,
    pid_or_errno: i32,
    pidfd: Option<&OwnedFd>,
) -> rustix::io::Result<()> {
    let fds: Vec<_> = pidfd.iter().map(|fd| fd.as_fd()).collect();
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() {
        control.push(SendAncillaryMessage::ScmRights(&fds));
    }
    let bytes = pid_or_errno.to_le_bytes();
    sendmsg(
        socket,
        &[IoSlice::new(&bytes)],
        &mut control,
        SendFlags::empty(),
    )?;
    Ok(())
}

/// A running zygote, seen from the host.
pub struct Zygote {
    /// Killed when dropped; the workers it forked live on until the host lets them go.
    process: Child,
    socket: OwnedFd,
}

impl Zygote {
    pub fn id(&self) -> Option<u32> {
        self.process.id()
    }

    /// Starts `exe sandbox-zygote` with an empty environment and waits until it is ready.
    pub fn start(exe: &Path) -> std::io::Result<Zygote> {
        let (ours, theirs) = socketpair(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC,
            None,
        )?;
        sockopt::set_socket_timeout(&ours, sockopt::Timeout::Recv, Some(ANSWER_TIMEOUT))?;
        // The zygote's stderr is also every forked worker's.
        let process = super::worker::start_process(exe, SUBCOMMAND, theirs.into(), Stdio::null())?;
        let zygote = Zygote {
            process,
            socket: ours,
        };
        match zygote.receive_answer()? {
            (0, None) => Ok(zygote),
            (other, _) => Err(std::io::Error::other(format!(
                "the sandbox zygote sent {other} instead of its ready signal"
            ))),
        }
    }

    /// Forks a worker whose stdin and stdout are these pipe ends.
    pub fn fork(&self, stdin: OwnedFd, stdout: OwnedFd) -> std::io::Result<Forked> {
        let fds = [stdin.as_fd(), stdout.as_fd()];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(2))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        control.push(SendAncillaryMessage::ScmRights(&fds));
        sendmsg(
            &self.socket,
            &[IoSlice::new(&[1])],
            &mut control,
            SendFlags::empty(),
        )?;
        drop((stdin, stdout));
        match self.receive_answer()? {
            (pid, Some(pidfd)) if pid > 0 => Ok(Forked {
                pid: pid as u32,
                pidfd,
            }),
            (errno, _) if errno < 0 => Err(std::io::Error::from_raw_os_error(-errno)),
            (other, _) => Err(std::io::Error::other(format!(
                "the sandbox zygote answered {other} without a process"
            ))),
        }
    }

    fn receive_answer(&self) -> std::io::Result<(i32, Option<OwnedFd>)> {
        let mut bytes = [0u8; 4];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let message = recvmsg(
            &self.socket,
            &mut [IoSliceMut::new(&mut bytes)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        )
        .map_err(|error| match error {
            Errno::AGAIN => std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the sandbox zygote did not answer",
            ),
            other => other.into(),
        })?;
        let pidfd = received_fds(&mut control).into_iter().next();
        match message.bytes {
            0 => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the sandbox zygote has exited",
            )),
            4 => Ok((i32::from_le_bytes(bytes), pidfd)),
            size => Err(std::io::Error::other(format!(
                "the sandbox zygote sent {size} bytes instead of 4"
            ))),
        }
    }
}

/// A worker process forked by the zygote, killed when dropped.
pub struct Forked {
    pid: u32,
    pidfd: OwnedFd,
}

impl Forked {
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// Ends the process and waits (at most `wait`) until it has exited.
    pub async fn kill(self, wait: Duration) -> std::io::Result<()> {
        self.signal_kill();
        // A pidfd becomes readable when its process has exited. The wait is
        // short, but it blocks, so not on the async threads.
        tokio::task::spawn_blocking(move || {
            let mut exited = [PollFd::new(&self.pidfd, PollFlags::IN)];
            let wait = Timespec::try_from(wait).unwrap_or(REAP_EVERY);
            match poll(&mut exited, Some(&wait))? {
                0 => Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "it has not exited",
                )),
                _ => Ok(()),
            }
        })
        .await?
    }

    fn signal_kill(&self) {
        // An error means it has already exited.
        let _ = pidfd_send_signal(&self.pidfd, Signal::KILL);
    }
}

impl Drop for Forked {
    fn drop(&mut self) {
        self.signal_kill();
    }
}

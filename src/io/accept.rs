//! Accepting connections as libuv does, including when the process is out of file
//! descriptors.
//!
//! On EMFILE/ENFILE libuv reports no error while it can help it: it keeps one spare
//! fd open, and when accept fails for lack of fds it closes the spare, accepts and at
//! once closes every pending connection (their clients see the connection closed),
//! then reopens the spare. Otherwise the backlog would keep the listener readable and
//! every turn would fail again, while the clients wait for nothing. rsnet keeps one
//! spare per process.

use std::fs::File;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

use socket2::Socket;

static SPARE: Mutex<Option<OwnedFd>> = Mutex::new(None);

/// Opens the spare fd unless it is open; a listening server calls it.
pub fn keep_spare_fd() {
    let mut spare = SPARE.lock().unwrap_or_else(|p| p.into_inner());
    if spare.is_none() {
        *spare = open_spare();
    }
}

fn open_spare() -> Option<OwnedFd> {
    File::open("/dev/null")
        .or_else(|_| File::open("/"))
        .ok()
        .map(OwnedFd::from)
}

/// One `accept4` that returns the socket non-blocking and close-on-exec, as libuv's.
pub fn accept_nonblocking(listener: RawFd) -> io::Result<Socket> {
    // SAFETY: null address arguments are allowed; the fd is the caller's listener.
    let fd = unsafe {
        libc::accept4(
            listener,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: accept4 returned a new fd that nothing else owns.
    Ok(unsafe { Socket::from_raw_fd(fd) })
}

/// Whether an accept failed for lack of file descriptors.
pub fn out_of_fds(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// After an accept failed with EMFILE/ENFILE: uses the spare fd to accept and close
/// every pending connection of `listener`. `Ok` when the backlog is empty (there is
/// nothing to report), else the error to report, as libuv's `uv__emfile_trick`.
pub fn shed_pending(listener: RawFd) -> io::Result<()> {
    let mut spare = SPARE.lock().unwrap_or_else(|p| p.into_inner());
    if spare.take().is_none() {
        return Err(io::Error::from_raw_os_error(libc::EMFILE));
    }
    let stopped = loop {
        match accept_nonblocking(listener) {
            Ok(connection) => drop(connection),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => break err,
        }
    };
    *spare = open_spare();
    if stopped.kind() == io::ErrorKind::WouldBlock {
        Ok(())
    } else {
        Err(stopped)
    }
}

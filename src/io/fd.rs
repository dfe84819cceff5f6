//! Adopting existing file descriptors: `new net.Socket({fd})`, `server.listen({fd})`.

use std::fs::File;
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use napi_derive::napi;
use socket2::{Domain, SockRef, Socket, Type};

use crate::sys::errno::{EBADF, EINVAL};

/// What kind of handle `fd` could back, named as libuv's `uv_guess_handle` names it
/// ('TCP', 'PIPE', 'TTY', 'FILE', 'UDP', 'UNKNOWN'), which Node's errors report.
#[napi]
pub fn guess_handle_type(fd: i32) -> String {
    guess(fd).to_owned()
}

/// The fd comes from JS and may not be open at all, so it is first only passed to
/// calls that take any integer (fstat, isatty), never wrapped as an owned or borrowed
/// fd until fstat has shown it open.
fn guess(fd: RawFd) -> &'static str {
    if fd < 0 {
        return "INVALID";
    }
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat(2) accepts any integer (EBADF if it is not an open fd) and writes
    // only into `stat`, a `struct stat` we own.
    if unsafe { libc::fstat(fd, stat.as_mut_ptr()) } != 0 {
        return "UNKNOWN";
    }
    // SAFETY: fstat succeeded, so it filled `stat`.
    let mode = unsafe { stat.assume_init() }.st_mode & libc::S_IFMT;
    match mode {
        libc::S_IFREG => "FILE",
        // SAFETY: isatty(3) accepts any integer and only queries it.
        libc::S_IFCHR if unsafe { libc::isatty(fd) } == 1 => "TTY",
        libc::S_IFCHR => "FILE",
        libc::S_IFIFO => "PIPE",
        libc::S_IFSOCK => {
            // SAFETY: fstat just showed the fd open; it is the caller's (JS's), which
            // keeps it open during this synchronous call on its thread, and the borrow
            // ends with it (nothing here closes it).
            let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
            let sock = SockRef::from(&borrowed);
            match (sock.domain(), sock.r#type()) {
                (Ok(Domain::UNIX), Ok(Type::STREAM)) => "PIPE",
                (Ok(Domain::IPV4 | Domain::IPV6), Ok(Type::STREAM)) => "TCP",
                (Ok(Domain::IPV4 | Domain::IPV6), Ok(Type::DGRAM)) => "UDP",
                _ => "UNKNOWN",
            }
        }
        _ => "UNKNOWN",
    }
}

/// An fd taken over by a handle.
pub enum Adopted {
    /// A stream socket, non-blocking; `true` for a Unix socket.
    Socket(Socket, bool),
    /// A FIFO or pipe(2) end.
    Fifo(OwnedFd),
}

/// Takes ownership of an fd libuv would open as a TCP or pipe handle, or returns EINVAL
/// (the fd is then untouched).
pub fn adopt(fd: RawFd) -> Result<Adopted, i32> {
    let is_unix = match guess(fd) {
        "PIPE" => true,
        "TCP" => false,
        _ => return Err(EINVAL),
    };
    // SAFETY: guess() saw an open fd, which the caller hands over.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    if is_unix && !is_socket(&owned) {
        return Ok(Adopted::Fifo(owned));
    }
    let socket = Socket::from(owned);
    if let Err(err) = socket.set_nonblocking(true) {
        // Not ours after all: give the fd back open.
        let _still_callers = std::os::fd::IntoRawFd::into_raw_fd(socket);
        return Err(crate::sys::errno::status_of(&err));
    }
    Ok(Adopted::Socket(socket, is_unix))
}

fn is_socket(fd: &OwnedFd) -> bool {
    use std::os::unix::fs::FileTypeExt;
    // SAFETY: `fd` is open and owned by the `OwnedFd` we borrow for the call; the
    // ManuallyDrop File never closes it, so it has one owner still.
    let file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd.as_raw_fd()) });
    file.metadata()
        .is_ok_and(|meta| meta.file_type().is_socket())
}

/// A duplicate of `fd` (close-on-exec), or a negative errno. Lets rsnet take over a
/// socket that a Node handle owns (cluster workers receive their connections as Node
/// handles): the copy is adopted, then the Node handle is closed with its own fd.
#[napi]
pub fn dup_fd(fd: i32) -> i32 {
    if fd < 0 {
        return EBADF;
    }
    // The call `BorrowedFd::try_clone_to_owned` makes, on a raw fd from JS that may
    // not be open (a BorrowedFd of it would be unsound).
    // SAFETY: fcntl(F_DUPFD_CLOEXEC) accepts any integer (EBADF if it is not an open
    // fd) and only makes a new fd, which JS then owns.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if copy < 0 {
        return crate::sys::errno::status_of(&std::io::Error::last_os_error());
    }
    copy
}

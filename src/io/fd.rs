//! Adopting existing file descriptors: `new net.Socket({fd})`, `server.listen({fd})`.

use std::fs::File;
use std::io::IsTerminal;
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

fn guess(fd: RawFd) -> &'static str {
    if fd < 0 {
        return "INVALID";
    }
    // Borrowed only: the fd stays open and owned by the caller.
    let file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
    let Ok(meta) = file.metadata() else {
        return "UNKNOWN";
    };
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_file() {
        "FILE"
    } else if kind.is_char_device() {
        if file.is_terminal() {
            "TTY"
        } else {
            "FILE"
        }
    } else if kind.is_fifo() {
        "PIPE"
    } else if kind.is_socket() {
        // fstat succeeded, so the fd is open for the duration of this call.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let sock = SockRef::from(&borrowed);
        match (sock.domain(), sock.r#type()) {
            (Ok(Domain::UNIX), Ok(Type::STREAM)) => "PIPE",
            (Ok(Domain::IPV4 | Domain::IPV6), Ok(Type::STREAM)) => "TCP",
            (Ok(Domain::IPV4 | Domain::IPV6), Ok(Type::DGRAM)) => "UDP",
            _ => "UNKNOWN",
        }
    } else {
        "UNKNOWN"
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
    let file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd.as_raw_fd()) });
    file.metadata()
        .is_ok_and(|meta| meta.file_type().is_socket())
}

/// A duplicate of `fd` (close-on-exec), or a negative errno. Lets rsnet take over a
/// socket that a Node handle owns (cluster workers receive their connections as Node
/// handles): the copy is adopted, then the Node handle is closed with its own fd.
#[napi]
pub fn dup_fd(fd: i32) -> i32 {
    use std::os::fd::IntoRawFd;
    if fd < 0 {
        return EBADF;
    }
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    match borrowed.try_clone_to_owned() {
        Ok(owned) => owned.into_raw_fd(),
        Err(err) => crate::sys::errno::status_of(&err),
    }
}

//! A FIFO or pipe(2) end adopted with `new net.Socket({fd})`.
//!
//! libuv opens such an fd as a pipe stream that reads if the fd was opened for reading
//! and writes if it was opened for writing; an `O_RDWR` FIFO does both. The stream
//! keeps those directions in its [`Kind`], and its reads and writes refuse the others
//! as libuv does (`transport`).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::Kind;

/// Which directions an fd was opened for: (readable, writable).
pub fn access(fd: BorrowedFd<'_>) -> io::Result<(bool, bool)> {
    // SAFETY: F_GETFL only reads the flags of an fd the caller keeps open.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(match flags & libc::O_ACCMODE {
        libc::O_RDONLY => (true, false),
        libc::O_WRONLY => (false, true),
        _ => (true, true),
    })
}

/// Makes an adopted FIFO fd non-blocking (a pipe from a parent may not be) and names
/// its kind with the directions it was opened for.
pub fn open(fd: BorrowedFd<'_>) -> io::Result<Kind> {
    let (readable, writable) = access(fd)?;
    socket2::SockRef::from(&fd).set_nonblocking(true)?;
    Ok(Kind::Fifo { readable, writable })
}

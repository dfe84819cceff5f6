//! A FIFO or pipe(2) end adopted with `new net.Socket({fd})`.
//!
//! libuv opens such an fd as a pipe stream that reads if the fd was opened for reading
//! and writes if it was opened for writing; an `O_RDWR` FIFO does both. Tokio splits a
//! pipe into a `Receiver` and a `Sender`, each registered with the reactor for its own
//! direction, so an `O_RDWR` fd gets a duplicate for the sending half.

use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::net::unix::pipe::{Receiver, Sender};

/// The halves of an adopted pipe fd, by the directions it was opened for.
pub enum Fifo {
    Read(Receiver),
    Write(Sender),
    /// An `O_RDWR` FIFO; the sender owns a duplicate of the adopted fd.
    Both(Receiver, Sender),
}

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

impl Fifo {
    /// Takes ownership of a FIFO fd (made non-blocking). Needs the runtime's context.
    pub fn open(fd: OwnedFd) -> io::Result<Fifo> {
        Ok(match access(fd.as_fd())? {
            (true, false) => Fifo::Read(Receiver::from_owned_fd(fd)?),
            (false, true) => Fifo::Write(Sender::from_owned_fd(fd)?),
            _ => {
                let copy = fd.try_clone()?;
                Fifo::Both(Receiver::from_owned_fd(fd)?, Sender::from_owned_fd(copy)?)
            }
        })
    }

    fn rx(&self) -> io::Result<&Receiver> {
        match self {
            Fifo::Read(rx) | Fifo::Both(rx, _) => Ok(rx),
            Fifo::Write(_) => Err(not_readable()),
        }
    }

    fn tx(&self) -> io::Result<&Sender> {
        match self {
            Fifo::Write(tx) | Fifo::Both(_, tx) => Ok(tx),
            Fifo::Read(_) => Err(not_writable()),
        }
    }

    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.rx() {
            Ok(rx) => rx.poll_read_ready(cx),
            Err(err) => Poll::Ready(Err(err)),
        }
    }

    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.tx() {
            Ok(tx) => tx.poll_write_ready(cx),
            Err(err) => Poll::Ready(Err(err)),
        }
    }

    pub fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        self.rx()?.try_read_buf(buf)
    }

    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.rx()?.try_read(buf)
    }

    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.tx()?.try_write(buf)
    }

    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.tx()?.try_write_vectored(bufs)
    }

    /// Leaves the reactor: the adopted fd itself (the sender's duplicate is closed).
    pub fn into_fd(self) -> io::Result<OwnedFd> {
        match self {
            Fifo::Read(rx) | Fifo::Both(rx, _) => rx.into_nonblocking_fd(),
            Fifo::Write(tx) => tx.into_nonblocking_fd(),
        }
    }
}

impl AsFd for Fifo {
    /// The adopted fd.
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Fifo::Read(rx) | Fifo::Both(rx, _) => rx.as_fd(),
            Fifo::Write(tx) => tx.as_fd(),
        }
    }
}

/// What libuv reports for reading a write-only pipe (UV_ENOTCONN).
fn not_readable() -> io::Error {
    io::Error::from_raw_os_error(libc::ENOTCONN)
}

/// What libuv reports for writing a read-only pipe (UV_EPIPE).
fn not_writable() -> io::Error {
    io::Error::from_raw_os_error(libc::EPIPE)
}

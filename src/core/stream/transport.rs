//! The fd under a stream, and the non-blocking calls the stream makes on it.
//!
//! A stream starts on the Tokio reactor (`Tcp`/`Unix`/`Fifo`): the stream's task waits
//! for readiness there. Under the loop driver a connected stream moves off the reactor
//! (`Polled`): libuv polls it from Node's own loop, so the runtime thread is not woken
//! by its traffic at all (see `driver::in_loop`).

use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use bytes::BytesMut;
use socket2::SockRef;
use tokio::net::{TcpStream, UnixStream};

use super::fifo::Fifo;

pub enum Io {
    Tcp(TcpStream),
    Unix(UnixStream),
    /// A FIFO or pipe(2) end adopted with `new Socket({fd})`.
    Fifo(Fifo),
    /// Off the reactor, polled by the loop driver.
    Polled(OwnedFd, Kind),
}

/// What a polled fd is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tcp,
    Unix,
    Fifo,
}

impl Io {
    /// Readiness through the reactor. A `Polled` fd has none: its stream's task has
    /// handed it over and ended.
    pub(super) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Io::Tcp(s) => s.poll_read_ready(cx),
            Io::Unix(s) => s.poll_read_ready(cx),
            Io::Fifo(s) => s.poll_read_ready(cx),
            Io::Polled(..) => Poll::Ready(Err(io::ErrorKind::Unsupported.into())),
        }
    }

    pub(super) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Io::Tcp(s) => s.poll_write_ready(cx),
            Io::Unix(s) => s.poll_write_ready(cx),
            Io::Fifo(s) => s.poll_write_ready(cx),
            Io::Polled(..) => Poll::Ready(Err(io::ErrorKind::Unsupported.into())),
        }
    }

    pub fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        match self {
            Io::Tcp(s) => s.try_read_buf(buf),
            Io::Unix(s) => s.try_read_buf(buf),
            Io::Fifo(s) => s.try_read_buf(buf),
            Io::Polled(fd, _) => {
                let spare = buf.spare_capacity_mut();
                // SAFETY: the spare capacity is `spare.len()` writable bytes we borrow.
                let n = unsafe { read_into(fd, spare.as_mut_ptr().cast(), spare.len())? };
                // SAFETY: read(2) initialised the first n bytes of the spare room.
                unsafe { buf.set_len(buf.len() + n) };
                Ok(n)
            }
        }
    }

    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Tcp(s) => s.try_read(buf),
            Io::Unix(s) => s.try_read(buf),
            Io::Fifo(s) => s.try_read(buf),
            // SAFETY: `buf` is `buf.len()` writable bytes we borrow.
            Io::Polled(fd, _) => unsafe { read_into(fd, buf.as_mut_ptr(), buf.len()) },
        }
    }

    pub(super) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Io::Tcp(s) => s.try_write(buf),
            Io::Unix(s) => s.try_write(buf),
            Io::Fifo(s) => s.try_write(buf),
            Io::Polled(fd, _) => {
                // SAFETY: write(2) only reads the `buf.len()` bytes of the borrowed `buf`;
                // `fd` is open while the `OwnedFd` is borrowed.
                sys_call(|| unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) })
            }
        }
    }

    pub(super) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Io::Tcp(s) => s.try_write_vectored(bufs),
            Io::Unix(s) => s.try_write_vectored(bufs),
            Io::Fifo(s) => s.try_write_vectored(bufs),
            Io::Polled(fd, _) => {
                let count = bufs.len().min(libc::c_int::MAX as usize) as libc::c_int;
                // SAFETY: IoSlice is ABI-compatible with iovec; writev(2) only reads them.
                sys_call(|| unsafe { libc::writev(fd.as_raw_fd(), bufs.as_ptr().cast(), count) })
            }
        }
    }

    /// Writes straight to the kernel from the calling thread, whatever the reactor last
    /// saw of the fd. This is libuv's `uv_try_write`: Tokio's `try_write` answers
    /// WouldBlock without a syscall until its reactor thread has seen the fd writable,
    /// so a write made right after a connect or an adoption would be queued instead of
    /// sent, and lost if the process exits at once (`write(); process.exit()`).
    /// A WouldBlock here leaves the reactor's view as it was; the next flush through
    /// the reactor finds the truth and waits for writability.
    pub(super) fn write_direct(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let fd = self.raw_fd();
        if let [buf] = bufs {
            // SAFETY: write(2) reads `buf.len()` bytes from `buf`, which we borrow.
            return sys_call(|| unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) })
                .map_err(syn_sent_as_would_block);
        }
        let count = bufs.len().min(libc::c_int::MAX as usize) as libc::c_int;
        // SAFETY: IoSlice is ABI-compatible with iovec; writev(2) only reads them.
        sys_call(|| unsafe { libc::writev(fd, bufs.as_ptr().cast(), count) })
            .map_err(syn_sent_as_would_block)
    }

    /// Socket options and addresses, through a borrowed fd (they fail with ENOTSOCK on
    /// a FIFO, as libuv's calls on a pipe do).
    pub fn sock(&self) -> SockRef<'_> {
        match self {
            Io::Tcp(s) => SockRef::from(s),
            Io::Unix(s) => SockRef::from(s),
            Io::Fifo(s) => SockRef::from(s),
            Io::Polled(fd, _) => SockRef::from(fd),
        }
    }

    pub fn is_tcp(&self) -> bool {
        matches!(self, Io::Tcp(_) | Io::Polled(_, Kind::Tcp))
    }

    pub fn raw_fd(&self) -> RawFd {
        match self {
            Io::Tcp(s) => s.as_raw_fd(),
            Io::Unix(s) => s.as_raw_fd(),
            Io::Fifo(s) => s.as_fd().as_raw_fd(),
            Io::Polled(fd, _) => fd.as_raw_fd(),
        }
    }

    /// Takes the fd off the reactor (it stays non-blocking).
    pub(super) fn into_polled(self) -> io::Result<Io> {
        Ok(match self {
            Io::Tcp(s) => Io::Polled(OwnedFd::from(s.into_std()?), Kind::Tcp),
            Io::Unix(s) => Io::Polled(OwnedFd::from(s.into_std()?), Kind::Unix),
            Io::Fifo(s) => Io::Polled(s.into_fd()?, Kind::Fifo),
            polled @ Io::Polled(..) => polled,
        })
    }
}

/// The first write of a TCP Fast Open socket (rsnet's `connect({ fastOpen })`) sends
/// its SYN; when none of the bytes could ride in it, the kernel answers EINPROGRESS:
/// nothing was written, and the socket turns writable once connected, as after
/// EAGAIN.
fn syn_sent_as_would_block(err: io::Error) -> io::Error {
    if err.raw_os_error() == Some(libc::EINPROGRESS) {
        io::ErrorKind::WouldBlock.into()
    } else {
        err
    }
}

/// read(2) of at most `len` bytes into the `len` writable bytes at `ptr`.
///
/// # Safety
/// `ptr` must be valid for writes of `len` bytes (initialised or not) for the call.
unsafe fn read_into(fd: &OwnedFd, ptr: *mut u8, len: usize) -> io::Result<usize> {
    // SAFETY: this fn's contract: `len` writable bytes at `ptr`, all read(2) may
    // write; `fd` is open while the `OwnedFd` is borrowed.
    sys_call(|| unsafe { libc::read(fd.as_raw_fd(), ptr.cast(), len) })
}

/// A read/write-style system call's result as a byte count, retried on EINTR.
fn sys_call(mut call: impl FnMut() -> isize) -> io::Result<usize> {
    loop {
        let n = call();
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

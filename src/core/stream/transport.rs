//! The fd under a stream, what kind of fd it is, and the non-blocking calls the stream
//! makes on it.
//!
//! An [`Io`] is one owned fd and its [`Kind`], whichever driver moves its bytes. Every
//! read and write is a plain read(2)/write(2)/writev(2) on that fd. What differs is
//! only who waits for readiness: Node's loop (rsnet's epoll set, `driver::in_loop`), or
//! Tokio's reactor, with which the fd is then [`registered`](Io::register) (the
//! stream's task, `driver::threaded`). A registered fd's calls go through the
//! reactor's readiness, as Tokio's own sockets do: one that would block clears it, so
//! the task waits for the next edge instead of spinning.

use std::io::{self, IoSlice};
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use bytes::BytesMut;
use socket2::SockRef;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// A stream's fd.
pub struct Io {
    /// The fd's registration with Tokio's reactor, while the runtime waits on it.
    /// Declared before `fd`, so that it is deregistered before the fd closes (a
    /// number the kernel reuses must never lose a newer registration).
    reactor: Option<AsyncFd<RawFd>>,
    fd: OwnedFd,
    kind: Kind,
}

/// What a stream's fd is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Tcp,
    Unix,
    /// A FIFO or pipe(2) end adopted with `new Socket({fd})`, which reads and writes
    /// only in the directions it was opened for (see `fifo`).
    Fifo {
        readable: bool,
        writable: bool,
    },
}

impl Io {
    /// An fd no reactor watches (Node's loop polls it, or nothing waits on it yet).
    pub fn new(fd: OwnedFd, kind: Kind) -> Io {
        Io {
            reactor: None,
            fd,
            kind,
        }
    }

    /// Registers the fd with the reactor of the runtime entered on this thread, for
    /// the directions it has.
    pub fn register(&mut self) -> io::Result<()> {
        if self.reactor.is_none() {
            let interest = match self.kind {
                Kind::Fifo {
                    readable: true,
                    writable: false,
                } => Interest::READABLE,
                Kind::Fifo {
                    readable: false,
                    writable: true,
                } => Interest::WRITABLE,
                _ => Interest::READABLE | Interest::WRITABLE,
            };
            let fd = self.fd.as_raw_fd();
            // SAFETY: `fd` is the open fd this Io owns; the registration is dropped
            // before it (field order; `close` drops it first too), so the fd stays
            // open and the same for the registration's whole life.
            self.reactor = Some(unsafe { AsyncFd::register_with_interest(fd, interest) }?);
        }
        Ok(())
    }

    /// Takes the fd off the reactor (it stays non-blocking).
    pub(super) fn deregister(&mut self) {
        self.reactor = None;
    }

    /// Readiness through the reactor; an error for an fd not registered.
    pub(super) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &self.reactor {
            Some(reactor) => reactor.poll_read_ready(cx).map_ok(drop),
            None => Poll::Ready(Err(io::ErrorKind::Unsupported.into())),
        }
    }

    pub(super) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &self.reactor {
            Some(reactor) => reactor.poll_write_ready(cx).map_ok(drop),
            None => Poll::Ready(Err(io::ErrorKind::Unsupported.into())),
        }
    }

    /// Runs a read (`interest` READABLE) or write call, through the reactor's
    /// readiness when the fd is registered.
    fn call(
        &self,
        interest: Interest,
        op: impl FnOnce(RawFd) -> io::Result<usize>,
    ) -> io::Result<usize> {
        match &self.reactor {
            Some(reactor) => reactor.try_io(interest, |fd| op(*fd)),
            None => op(self.fd.as_raw_fd()),
        }
    }

    fn check_readable(&self) -> io::Result<()> {
        match self.kind {
            // What libuv reports for reading a write-only pipe.
            Kind::Fifo {
                readable: false, ..
            } => Err(io::Error::from_raw_os_error(libc::ENOTCONN)),
            _ => Ok(()),
        }
    }

    fn check_writable(&self) -> io::Result<()> {
        match self.kind {
            // What libuv reports for writing a read-only pipe.
            Kind::Fifo {
                writable: false, ..
            } => Err(io::Error::from_raw_os_error(libc::EPIPE)),
            _ => Ok(()),
        }
    }

    pub fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        self.check_readable()?;
        let spare = buf.spare_capacity_mut();
        let (ptr, len) = (spare.as_mut_ptr().cast::<u8>(), spare.len());
        // SAFETY: the spare capacity is `len` writable bytes we borrow for the call.
        let n = self.call(Interest::READABLE, |fd| unsafe { read_into(fd, ptr, len) })?;
        // SAFETY: read(2) initialised the first n bytes of the spare room.
        unsafe { buf.set_len(buf.len() + n) };
        Ok(n)
    }

    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.check_readable()?;
        // SAFETY: `buf` is `buf.len()` writable bytes we borrow for the call.
        self.call(Interest::READABLE, |fd| unsafe {
            read_into(fd, buf.as_mut_ptr(), buf.len())
        })
    }

    pub(super) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_write_vectored(&[IoSlice::new(buf)])
    }

    pub(super) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.check_writable()?;
        self.call(Interest::WRITABLE, |fd| write_fd(fd, bufs))
    }

    /// Writes straight to the kernel from the calling thread, whatever the reactor last
    /// saw of the fd. This is libuv's `uv_try_write`: the reactor's view answers
    /// WouldBlock without a syscall until its thread has seen the fd writable, so a
    /// write made right after a connect or an adoption would be queued instead of
    /// sent, and lost if the process exits at once (`write(); process.exit()`).
    /// A WouldBlock here leaves the reactor's view as it was; the next flush through
    /// the reactor finds the truth and waits for writability.
    pub(super) fn write_direct(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        write_fd(self.fd.as_raw_fd(), bufs)
    }

    /// Socket options and addresses, through a borrowed fd (they fail with ENOTSOCK on
    /// a FIFO, as libuv's calls on a pipe do).
    pub fn sock(&self) -> SockRef<'_> {
        SockRef::from(&self.fd)
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn is_fifo(&self) -> bool {
        matches!(self.kind, Kind::Fifo { .. })
    }

    pub fn is_tcp(&self) -> bool {
        self.kind == Kind::Tcp
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Closes the fd (after leaving the reactor), except stdio: as libuv, rsnet never
    /// closes fds 0-2 (a socket made over stdout with `new Socket({ fd: 1 })` and
    /// destroyed leaves the process's stdout working; otherwise the next socket would
    /// take fd 1 and receive its output).
    pub(super) fn close(self) {
        let Io { reactor, fd, .. } = self;
        drop(reactor);
        if fd.as_raw_fd() <= libc::STDERR_FILENO {
            // The raw fd is dropped without closing it.
            let _ = fd.into_raw_fd();
        }
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
unsafe fn read_into(fd: RawFd, ptr: *mut u8, len: usize) -> io::Result<usize> {
    // SAFETY: this fn's contract: `len` writable bytes at `ptr`, all read(2) may
    // write; on a closed or foreign fd read(2) fails (EBADF) without touching memory.
    sys_call(|| unsafe { libc::read(fd, ptr.cast(), len) })
}

/// write(2) of one slice, writev(2) of several.
fn write_fd(fd: RawFd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    if let [buf] = bufs {
        // SAFETY: write(2) only reads the `buf.len()` bytes of the borrowed `buf`.
        return sys_call(|| unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) })
            .map_err(syn_sent_as_would_block);
    }
    let count = bufs.len().min(libc::c_int::MAX as usize) as libc::c_int;
    // SAFETY: IoSlice is ABI-compatible with iovec; writev(2) only reads them.
    sys_call(|| unsafe { libc::writev(fd, bufs.as_ptr().cast(), count) })
        .map_err(syn_sent_as_would_block)
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

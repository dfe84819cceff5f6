//! The socket under a stream, and the non-blocking calls the stream makes on it.
//!
//! A socket starts on the Tokio reactor (`Tcp`/`Unix`): the stream's task waits for
//! readiness there. Under the loop driver a connected socket moves off the reactor
//! (`Polled`): libuv polls it from Node's own loop, so the runtime thread is not woken
//! by its traffic at all (see `uv_driver`).

use std::io::{self, IoSlice, Read, Write};
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use bytes::BytesMut;
use socket2::{SockRef, Socket};
use tokio::net::{TcpStream, UnixStream};

pub enum Io {
    Tcp(TcpStream),
    Unix(UnixStream),
    /// Off the reactor, polled by the loop driver; `true` for a Unix socket.
    Polled(Socket, bool),
}

impl Io {
    /// Readiness through the reactor. A `Polled` socket has none: its stream's task
    /// has handed it over and ended.
    pub(super) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Io::Tcp(s) => s.poll_read_ready(cx),
            Io::Unix(s) => s.poll_read_ready(cx),
            Io::Polled(..) => Poll::Ready(Err(io::ErrorKind::Unsupported.into())),
        }
    }

    pub(super) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Io::Tcp(s) => s.poll_write_ready(cx),
            Io::Unix(s) => s.poll_write_ready(cx),
            Io::Polled(..) => Poll::Ready(Err(io::ErrorKind::Unsupported.into())),
        }
    }

    pub fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        match self {
            Io::Tcp(s) => s.try_read_buf(buf),
            Io::Unix(s) => s.try_read_buf(buf),
            Io::Polled(s, _) => {
                let spare: &mut [MaybeUninit<u8>] = buf.spare_capacity_mut();
                let n = retry_interrupted(|| s.recv(spare))?;
                // recv initialised the first n bytes.
                unsafe { buf.set_len(buf.len() + n) };
                Ok(n)
            }
        }
    }

    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Tcp(s) => s.try_read(buf),
            Io::Unix(s) => s.try_read(buf),
            Io::Polled(s, _) => retry_interrupted(|| (&*s).read(buf)),
        }
    }

    pub(super) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Io::Tcp(s) => s.try_write(buf),
            Io::Unix(s) => s.try_write(buf),
            Io::Polled(s, _) => retry_interrupted(|| (&*s).write(buf)),
        }
    }

    pub(super) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Io::Tcp(s) => s.try_write_vectored(bufs),
            Io::Unix(s) => s.try_write_vectored(bufs),
            Io::Polled(s, _) => retry_interrupted(|| s.send_vectored(bufs)),
        }
    }

    /// Socket options and addresses, through a borrowed fd.
    pub fn sock(&self) -> SockRef<'_> {
        match self {
            Io::Tcp(s) => SockRef::from(s),
            Io::Unix(s) => SockRef::from(s),
            Io::Polled(s, _) => SockRef::from(s),
        }
    }

    pub fn is_tcp(&self) -> bool {
        matches!(self, Io::Tcp(_) | Io::Polled(_, false))
    }

    pub fn raw_fd(&self) -> RawFd {
        match self {
            Io::Tcp(s) => s.as_raw_fd(),
            Io::Unix(s) => s.as_raw_fd(),
            Io::Polled(s, _) => s.as_raw_fd(),
        }
    }

    /// Takes the socket off the reactor (it stays non-blocking).
    pub(super) fn into_polled(self) -> io::Result<Io> {
        Ok(match self {
            Io::Tcp(s) => Io::Polled(Socket::from(OwnedFd::from(s.into_std()?)), false),
            Io::Unix(s) => Io::Polled(Socket::from(OwnedFd::from(s.into_std()?)), true),
            polled @ Io::Polled(..) => polled,
        })
    }
}

fn retry_interrupted<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

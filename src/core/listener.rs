//! A listening socket and the one accept routine both drivers run when it is readable.
//!
//! Only who waits for readiness differs: a listener's `uv_poll` in Node's loop (the in-loop
//! driver, on the JS thread) or the listener's Tokio task (the threaded driver). Both
//! then call [`ServerCore::accept_pending`], and decide what a new connection becomes
//! (polled from the loop, or registered with the reactor and given a task).

use std::future::{poll_fn, Future};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::Duration;

use socket2::Socket;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::Notify;

use crate::core::event::EventSink;
use crate::core::registry::{next_id, Closable};
use crate::core::stream::{Io, Kind};
use crate::io::accept;

/// How long accepting pauses after an error such as EMFILE, instead of spinning.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Connections accepted per readiness (as libuv, which accepts until EAGAIN, but
/// bounded so one busy listener cannot starve the loop).
const ACCEPTS_PER_WAKE: usize = 64;

/// A listening socket, TCP or Unix.
pub struct Listener {
    /// Its registration with Tokio's reactor, when the runtime waits on it. Declared
    /// before `socket`, so that it is deregistered before the fd closes.
    reactor: Option<AsyncFd<RawFd>>,
    socket: Socket,
    is_unix: bool,
}

impl Listener {
    /// A listening socket no reactor watches yet.
    pub fn new(socket: Socket, is_unix: bool) -> Listener {
        Listener {
            reactor: None,
            socket,
            is_unix,
        }
    }

    /// Registers the socket with the reactor of the runtime entered on this thread.
    pub fn register(&mut self) -> io::Result<()> {
        let fd = self.socket.as_raw_fd();
        // SAFETY: `fd` is the open socket this Listener owns; the registration is
        // dropped before it (field order), so the fd stays open and the same for the
        // registration's whole life.
        self.reactor = Some(unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }?);
        Ok(())
    }

    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    pub fn is_unix(&self) -> bool {
        self.is_unix
    }

    /// One non-blocking accept (through the reactor's readiness when registered).
    fn accept(&self) -> io::Result<Io> {
        let socket = match &self.reactor {
            Some(reactor) => {
                reactor.try_io(Interest::READABLE, |fd| accept::accept_nonblocking(*fd))
            }
            None => accept::accept_nonblocking(self.socket.as_raw_fd()),
        }?;
        let kind = if self.is_unix { Kind::Unix } else { Kind::Tcp };
        Ok(Io::new(socket.into(), kind))
    }
}

/// Shared between the JS handle (`ServerHandle`) and its driver's acceptor.
pub struct ServerCore {
    pub id: u32,
    channel: Arc<dyn EventSink>,
    listener: Mutex<Option<Listener>>,
    /// Wakes the accept task when the listener is closed from JS.
    wake: Notify,
    /// A Unix socket file to unlink on close (Node/libuv do).
    unlink: Mutex<Option<String>>,
}

impl ServerCore {
    pub fn new(channel: Arc<dyn EventSink>) -> Arc<ServerCore> {
        let core = Arc::new(ServerCore {
            id: next_id(),
            channel,
            listener: Mutex::new(None),
            wake: Notify::new(),
            unlink: Mutex::new(None),
        });
        let weak = Arc::downgrade(&core) as std::sync::Weak<dyn Closable>;
        core.channel.registry().insert(core.id, weak);
        core
    }

    pub fn channel(&self) -> &Arc<dyn EventSink> {
        &self.channel
    }

    pub fn listener(&self) -> MutexGuard<'_, Option<Listener>> {
        self.listener.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn listener_fd(&self) -> Option<RawFd> {
        self.listener().as_ref().map(|l| l.socket.as_raw_fd())
    }

    /// The socket file to unlink on close.
    pub fn unlink_path(&self) -> MutexGuard<'_, Option<String>> {
        self.unlink.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Resolves at the next change made from JS (close), for the accept task.
    pub fn changed(&self) -> impl Future<Output = ()> + '_ {
        self.wake.notified()
    }

    /// Resolves when the reactor finds the listener readable: true, or false once
    /// it is closed (or not registered).
    pub fn accept_ready(&self) -> impl Future<Output = bool> + '_ {
        poll_fn(|cx| match self.listener().as_ref() {
            Some(Listener {
                reactor: Some(reactor),
                ..
            }) => reactor.poll_read_ready(cx).map(|ready| ready.is_ok()),
            _ => Poll::Ready(false),
        })
    }

    /// The one accept routine: accepts the pending connections (until EAGAIN, or a
    /// few) and hands each to `serve`, which makes it a stream of its driver and
    /// reports it. An error that remains to be reported is returned as a status
    /// (`AcceptError`); the caller then pauses for [`ACCEPT_BACKOFF`]. It never
    /// stops the listener.
    pub fn accept_pending(&self, serve: &mut dyn FnMut(Io) -> io::Result<()>) -> Result<(), i32> {
        for _ in 0..ACCEPTS_PER_WAKE {
            let accepted = match self.listener().as_ref() {
                Some(listener) => listener.accept(),
                None => return Ok(()),
            };
            let failed = match accepted.and_then(&mut *serve) {
                Ok(()) => continue,
                Err(err) => err,
            };
            match failed.kind() {
                io::ErrorKind::WouldBlock => return Ok(()),
                io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted => {}
                _ => {
                    if let Some(err) = self.accept_failure(failed) {
                        return Err(crate::sys::errno::status_of(&err));
                    }
                }
            }
        }
        Ok(())
    }

    /// What an accept error leaves to report: nothing when it was a lack of fds and
    /// the pending connections could be shed (as libuv does), else an error.
    fn accept_failure(&self, err: io::Error) -> Option<io::Error> {
        if !accept::out_of_fds(&err) {
            return Some(err);
        }
        let fd = self.listener_fd()?;
        accept::shed_pending(fd).err()
    }
}

impl Closable for ServerCore {
    fn close(&self) {
        // Dropping the listener closes its fd now, so the port is free on return.
        drop(self.listener().take());
        if let Some(path) = self.unlink_path().take() {
            let _ = std::fs::remove_file(path);
        }
        self.channel.registry().remove(self.id);
        self.wake.notify_one();
    }
}

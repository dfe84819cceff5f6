//! `ServerHandle`: the JS-visible handle of one listener, TCP or Unix, shaped like
//! Node's server-side `TCP`/`Pipe` wraps (`bind`, `listen`, `getsockname`, `close`).
//!
//! Binding and listening happen synchronously on the JS thread, so `server.address()`
//! works on the line after `listen()`, as in Node. A Tokio task accepts (under the loop
//! driver, a poll in Node's loop does, on the JS thread); every accepted stream reaches
//! JS as an `Accepted` event carrying its new `SocketHandle`.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::Duration;

use napi::Env;
use napi_derive::napi;
use socket2::{Domain, Socket, Type};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Notify;

use crate::core::channel::Channel;
use crate::core::registry::{next_id, Closable};
use crate::core::runtime;
use crate::core::stream::Event;
use crate::core::stream::{Io, Kind, StreamCore};
use crate::driver::in_loop::{self, Readiness};
use crate::io::accept;
use crate::io::addr::{self, SockAddr};
use crate::io::fd::Adopted;
use crate::napi::env;
use crate::sys::errno::{status_of, EACCES, EINVAL};

/// How long accepting pauses after an error such as EMFILE, instead of spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Connections accepted per readiness callback under the loop driver (as libuv, which
/// accepts until EAGAIN, but bounded so one busy listener cannot starve the loop).
const ACCEPTS_PER_WAKE: usize = 64;

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
    /// Off the reactor: the loop driver accepts on the JS thread; `true` for Unix.
    Polled(Socket, bool),
}

/// Shared between the JS handle and the accept task.
struct ServerCore {
    id: u32,
    channel: Arc<Channel>,
    listener: Mutex<Option<Listener>>,
    /// Wakes the accept task when the listener is closed from JS.
    wake: Notify,
    /// A Unix socket file to unlink on close (Node/libuv do).
    unlink: Mutex<Option<String>>,
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Listener::Tcp(l) => l.as_raw_fd(),
            Listener::Unix(l) => l.as_raw_fd(),
            Listener::Polled(l, _) => l.as_raw_fd(),
        }
    }
}

impl ServerCore {
    fn listener_fd(&self) -> Option<RawFd> {
        self.listener().as_ref().map(Listener::as_raw_fd)
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

    fn listener(&self) -> MutexGuard<'_, Option<Listener>> {
        self.listener.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Closable for ServerCore {
    fn close(&self) {
        // Dropping the listener closes its fd now, so the port is free on return.
        drop(self.listener().take());
        if let Some(path) = self.unlink.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = std::fs::remove_file(path);
        }
        self.channel.registry.remove(self.id);
        self.wake.notify_one();
    }
}

/// The native half of a `net.Server`.
#[napi]
pub struct ServerHandle {
    core: Arc<ServerCore>,
    bound: Option<(Socket, bool)>,
    /// An EADDRINUSE from bind, reported by `listen` as libuv does: Node only falls
    /// back from `::` to `0.0.0.0` when bind itself fails.
    delayed_error: i32,
    refed: bool,
    active: bool,
    /// Under the loop driver: the poll that accepts.
    acceptor: Option<in_loop::ReadWatcher>,
}

#[napi]
impl ServerHandle {
    #[napi(constructor, catch_unwind)]
    pub fn new() -> napi::Result<Self> {
        let channel = env::channel()?;
        let core = Arc::new(ServerCore {
            id: next_id(),
            channel,
            listener: Mutex::new(None),
            wake: Notify::new(),
            unlink: Mutex::new(None),
        });
        let weak = Arc::downgrade(&core) as std::sync::Weak<dyn Closable>;
        core.channel.registry.insert(core.id, weak);
        Ok(ServerHandle {
            core,
            bound: None,
            delayed_error: 0,
            refed: true,
            active: false,
            acceptor: None,
        })
    }

    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.core.id
    }

    /// Binds a TCP address (SO_REUSEADDR, as libuv). `ipv6_only` applies to IPv6 only;
    /// `reuse_port` (rsnet's `listen({ reusePort })`) sets SO_REUSEPORT first.
    #[napi(catch_unwind)]
    pub fn bind(
        &mut self,
        ip: String,
        port: u32,
        ipv6_only: bool,
        reuse_port: Option<bool>,
    ) -> i32 {
        if self.bound.is_some() {
            return EINVAL;
        }
        let local = match addr::parse(&ip, port) {
            Ok(local) => local,
            Err(status) => return status,
        };
        let result = (|| -> io::Result<Socket> {
            let socket = Socket::new(Domain::for_address(local), Type::STREAM.nonblocking(), None)?;
            socket.set_reuse_address(true)?;
            if reuse_port == Some(true) {
                crate::napi::tcp_tuning::reuse_port(&socket)?;
            }
            if local.is_ipv6() {
                socket.set_only_v6(ipv6_only)?;
            }
            if let Err(err) = socket.bind(&local.into()) {
                if err.kind() != io::ErrorKind::AddrInUse {
                    return Err(err);
                }
                self.delayed_error = status_of(&err);
            }
            Ok(socket)
        })();
        match result {
            Ok(socket) => {
                self.bound = Some((socket, false));
                0
            }
            Err(err) => status_of(&err),
        }
    }

    /// Binds a Unix socket path; a leading NUL names a Linux abstract socket.
    #[napi(catch_unwind)]
    pub fn bind_pipe(&mut self, path: String) -> i32 {
        if self.bound.is_some() {
            return EINVAL;
        }
        let result = (|| -> io::Result<Socket> {
            let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)?;
            socket.bind(&addr::unix_sockaddr(&path)?)?;
            Ok(socket)
        })();
        match result {
            Ok(socket) => {
                if !path.starts_with('\0') {
                    *self.core.unlink.lock().unwrap_or_else(|p| p.into_inner()) = Some(path);
                }
                self.bound = Some((socket, true));
                0
            }
            // libuv reports a missing directory as EACCES ("for compatibility with
            // Windows"), and so does Node's listen().
            Err(err) if err.kind() == io::ErrorKind::NotFound => EACCES,
            Err(err) => status_of(&err),
        }
    }

    /// The listening socket's file descriptor, or -1 (Node's `handle.fd`).
    #[napi(getter, catch_unwind)]
    pub fn fd(&self) -> i32 {
        if let Some((socket, _)) = &self.bound {
            return socket.as_raw_fd();
        }
        self.core.listener_fd().unwrap_or(-1)
    }

    /// Adopts an open stream socket fd (bound, possibly listening) to listen on.
    #[napi(catch_unwind)]
    pub fn open(&mut self, fd: i32) -> i32 {
        if self.bound.is_some() {
            return EINVAL;
        }
        match crate::io::fd::adopt(fd) {
            Ok(Adopted::Socket(socket, is_unix)) => {
                self.bound = Some((socket, is_unix));
                0
            }
            // libuv opens a FIFO as a pipe too; listen() then fails with ENOTSOCK and
            // closing the handle closes the fd, as in Node.
            Ok(Adopted::Fifo(fd)) => {
                self.bound = Some((Socket::from(fd), true));
                0
            }
            Err(status) => status,
        }
    }

    /// Starts listening and accepting; connections arrive as `Accepted` events.
    #[napi(catch_unwind)]
    pub fn listen(&mut self, env: Env, backlog: i32) -> i32 {
        let Some((socket, is_unix)) = self.bound.take() else {
            return EINVAL;
        };
        if self.delayed_error != 0 {
            return self.delayed_error;
        }
        if let Err(err) = socket.listen(backlog) {
            return status_of(&err);
        }
        accept::keep_spare_fd();
        if let Some(uv_loop) = env::uv_loop() {
            let core = self.core.clone();
            let fd = socket.as_raw_fd();
            *self.core.listener() = Some(Listener::Polled(socket, is_unix));
            // SAFETY: a napi method runs on the JS thread, and `env::uv_loop` is that
            // thread's loop, named only under the in-loop driver, which is chosen only
            // when the handles fit. The fd is the listener's, closed only after the
            // watcher is dropped (`close`) or polls are closed (teardown).
            self.acceptor = unsafe {
                in_loop::ReadWatcher::new(uv_loop, fd, Box::new(move || accept_ready(&core)))
            };
            if self.acceptor.is_none() {
                Closable::close(&*self.core);
                return EINVAL;
            }
            self.set_active(&env, true);
            return 0;
        }
        // Registering with the reactor needs the runtime's context on this thread.
        let runtime = match runtime::get() {
            Ok(runtime) => runtime,
            Err(err) => return status_of(&err),
        };
        let _context = runtime.enter();
        let listener = if is_unix {
            UnixListener::from_std(socket.into()).map(Listener::Unix)
        } else {
            TcpListener::from_std(socket.into()).map(Listener::Tcp)
        };
        match listener {
            Ok(listener) => *self.core.listener() = Some(listener),
            Err(err) => return status_of(&err),
        }
        self.set_active(&env, true);
        runtime.spawn(accept_loop(self.core.clone()));
        0
    }

    /// The bound TCP address; undefined for Unix sockets (JS reports the path).
    #[napi(catch_unwind)]
    pub fn getsockname(&self) -> Option<SockAddr> {
        if let Some((socket, _)) = &self.bound {
            return socket.local_addr().ok()?.as_socket().map(SockAddr::from);
        }
        match self.core.listener().as_ref()? {
            Listener::Tcp(listener) => listener.local_addr().ok().map(SockAddr::from),
            Listener::Polled(listener, false) => {
                listener.local_addr().ok()?.as_socket().map(SockAddr::from)
            }
            Listener::Unix(_) | Listener::Polled(_, true) => None,
        }
    }

    /// chmod of the socket file (`readableAll`/`writableAll`).
    #[napi(catch_unwind)]
    pub fn fchmod(&self, mode: u32) -> i32 {
        use std::os::unix::fs::PermissionsExt;
        let path = self
            .core
            .unlink
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(path) = path else { return EINVAL };
        // The file as bound, as libuv finds it with getsockname: a long name was cut.
        let path = addr::unix_bound_name(&path);
        let result = std::fs::metadata(&path).and_then(|meta| {
            let mut permissions = meta.permissions();
            permissions.set_mode(permissions.mode() | mode);
            std::fs::set_permissions(&path, permissions)
        });
        crate::sys::errno::status(result)
    }

    /// Stops listening now: the port (or socket file) is released on return.
    #[napi(catch_unwind)]
    pub fn close(&mut self, env: Env) {
        self.bound = None;
        // Stop polling before the fd is closed.
        self.acceptor = None;
        Closable::close(&*self.core);
        self.set_active(&env, false);
    }

    #[napi(js_name = "ref", catch_unwind)]
    pub fn ref_(&mut self, env: Env) {
        if !self.refed {
            self.refed = true;
            if self.active {
                env::retain(&env);
            }
        }
    }

    #[napi(catch_unwind)]
    pub fn unref(&mut self, env: Env) {
        if self.refed {
            self.refed = false;
            if self.active {
                env::release(&env);
            }
        }
    }

    #[napi(catch_unwind)]
    pub fn has_ref(&self) -> bool {
        self.refed
    }
}

impl ServerHandle {
    fn set_active(&mut self, env: &Env, active: bool) {
        if self.active == active {
            return;
        }
        self.active = active;
        if self.refed {
            if active {
                env::retain(env);
            } else {
                env::release(env);
            }
        }
    }
}

/// Accepts until the listener is closed. An accept error is reported and followed by a
/// short pause (EMFILE would otherwise spin); it never stops the listener.
async fn accept_loop(core: Arc<ServerCore>) {
    loop {
        let accepted = tokio::select! {
            biased;
            _ = core.wake.notified() => continue,
            accepted = std::future::poll_fn(|cx| match core.listener().as_ref() {
                None => Poll::Ready(None),
                Some(Listener::Tcp(l)) => l.poll_accept(cx).map(|r| Some(r.map(|(s, _)| Io::Tcp(s)))),
                Some(Listener::Unix(l)) => l.poll_accept(cx).map(|r| Some(r.map(|(s, _)| Io::Unix(s)))),
                // The loop driver accepts this one (never reached: no task is spawned).
                Some(Listener::Polled(..)) => Poll::Ready(None),
            }) => accepted,
        };
        match accepted {
            None => return,
            Some(Ok(io)) => {
                let stream = StreamCore::new(core.channel.clone());
                stream.attach(io);
                core.channel.send(Event::Accepted(core.id, stream.clone()));
                tokio::spawn(stream.drive());
            }
            Some(Err(err)) if err.kind() == io::ErrorKind::ConnectionAborted => {}
            Some(Err(err)) => {
                if let Some(err) = core.accept_failure(err) {
                    core.channel
                        .send(Event::AcceptError(core.id, status_of(&err)));
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            }
        }
    }
}

/// Loop driver: the listener is readable. Accepts on the JS thread; each connection
/// is delivered with this loop turn's reads and never joins the reactor.
fn accept_ready(core: &Arc<ServerCore>) -> Readiness {
    for _ in 0..ACCEPTS_PER_WAKE {
        let accepted = match core.listener().as_ref() {
            Some(Listener::Polled(listener, is_unix)) => {
                accept::accept_nonblocking(listener.as_raw_fd()).map(|s| (s, *is_unix))
            }
            _ => return Readiness::Continue,
        };
        match accepted {
            Ok((socket, is_unix)) => {
                let stream = StreamCore::new(core.channel.clone());
                stream.attach_polled(Io::Polled(
                    socket.into(),
                    if is_unix { Kind::Unix } else { Kind::Tcp },
                ));
                in_loop::queue_event(Event::Accepted(core.id, stream));
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Readiness::Continue,
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted
                ) => {}
            Err(err) => {
                if let Some(err) = core.accept_failure(err) {
                    in_loop::queue_event(Event::AcceptError(core.id, status_of(&err)));
                    return Readiness::PauseMs(ACCEPT_BACKOFF.as_millis() as u64);
                }
            }
        }
    }
    Readiness::Continue
}

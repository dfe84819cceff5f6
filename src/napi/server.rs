//! `ServerHandle`: the JS-visible handle of one listener, TCP or Unix, shaped like
//! Node's server-side `TCP`/`Pipe` wraps (`bind`, `listen`, `getsockname`, `close`).
//!
//! Binding and listening happen synchronously on the JS thread, so `server.address()`
//! works on the line after `listen()`, as in Node. Then the environment's driver
//! accepts (`Driver::listen`); every accepted stream reaches JS as an `Accepted` event
//! carrying its new `SocketHandle`.

use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;

use napi::Env;
use napi_derive::napi;
use socket2::{Domain, Socket, Type};

use crate::core::listener::{Listener, ServerCore};
use crate::core::registry::Closable;
use crate::driver::Acceptor;
use crate::io::accept;
use crate::io::addr::{self, SockAddr};
use crate::io::fd::Adopted;
use crate::napi::env;
use crate::sys::errno::{status_of, EACCES, EINVAL};

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
    /// What accepts, once listening (`driver`).
    acceptor: Option<Acceptor>,
}

#[napi]
impl ServerHandle {
    #[napi(constructor, catch_unwind)]
    pub fn new() -> napi::Result<Self> {
        let core = ServerCore::new(env::channel()?);
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
                    *self.core.unlink_path() = Some(path);
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
        let driver = match env::driver() {
            Ok(driver) => driver,
            Err(_) => return EINVAL,
        };
        match driver.listen(&self.core, Listener::new(socket, is_unix)) {
            Ok(acceptor) => self.acceptor = Some(acceptor),
            Err(status) => return status,
        }
        self.set_active(&env, true);
        0
    }

    /// The bound TCP address; undefined for Unix sockets (JS reports the path).
    #[napi(catch_unwind)]
    pub fn getsockname(&self) -> Option<SockAddr> {
        if let Some((socket, _)) = &self.bound {
            return socket.local_addr().ok()?.as_socket().map(SockAddr::from);
        }
        let listener = self.core.listener();
        let listener = listener.as_ref().filter(|l| !l.is_unix())?;
        listener
            .socket()
            .local_addr()
            .ok()?
            .as_socket()
            .map(SockAddr::from)
    }

    /// chmod of the socket file (`readableAll`/`writableAll`).
    #[napi(catch_unwind)]
    pub fn fchmod(&self, mode: u32) -> i32 {
        use std::os::unix::fs::PermissionsExt;
        let path = self.core.unlink_path().clone();
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
        // The acceptor lets go of the fd before it is closed.
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

//! `SocketHandle`: the JS-visible handle of one stream, shaped like Node's `TCP`/`Pipe`
//! wraps (`bind`, `connect`, `readStart`, `writeBuffer`, `shutdown`, `close`, ...).
//!
//! Methods return 0 or a negative errno, as Node's handles do; JS turns statuses into
//! Node-shaped errors. Asynchronous outcomes (connect, data, write completion, FIN)
//! arrive as events on the environment's channel, tagged with `id`.

use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use napi::{Env, JsBuffer, JsObject, NapiRaw};
use napi_derive::napi;
use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};

use crate::core::runtime;
use crate::core::stream::{begin_connect, fifo, Io, Kind, StreamCore, QUEUED};
use crate::driver::{self, StreamDriver};
use crate::io::addr::{self, SockAddr};
use crate::io::fd::Adopted;
use crate::napi::env;
use crate::sys::errno::{status, status_of, EAGAIN, EALREADY, EINVAL, ENOTCONN, EPIPE};

mod chunks;
mod held_write;
mod liveness;

pub use liveness::settle;
use liveness::{with_liveness, Liveness, LIVENESS};

/// The native half of a `net.Socket`.
#[napi]
pub struct SocketHandle {
    core: Arc<StreamCore>,
    /// A bound but not yet connected TCP socket (`bind` before `connect`).
    unconnected: Option<Socket>,
    /// What moves this stream's bytes (`driver`).
    driver: StreamDriver,
    /// The directions the fd allows: both, except for a one-way pipe end.
    readable: bool,
    writable: bool,
}

#[napi]
impl SocketHandle {
    /// A fresh handle for an outgoing connection.
    #[napi(constructor, catch_unwind)]
    pub fn new() -> napi::Result<Self> {
        Self::wrap(StreamCore::new(env::channel()?))
    }

    fn wrap(core: Arc<StreamCore>) -> napi::Result<Self> {
        let driver = env::driver()?.stream();
        let live = Liveness::default();
        live.refed.set(true);
        LIVENESS.with(|map| map.borrow_mut().insert(core.id, live));
        Ok(SocketHandle {
            core,
            unconnected: None,
            driver,
            readable: true,
            writable: true,
        })
    }

    /// The handle of a stream a listener accepted. Like libuv's, it is idle (does not
    /// keep the loop alive) until it reads or writes.
    pub fn accepted(core: Arc<StreamCore>) -> napi::Result<Self> {
        Self::wrap(core)
    }

    /// The stream under this handle (for the TLS verbs, `napi::tls`).
    pub(crate) fn core(&self) -> &Arc<StreamCore> {
        &self.core
    }

    /// Id that tags this stream's events.
    #[napi(getter)]
    pub fn id(&self) -> u32 {
        self.core.id
    }

    /// Binds the local end before `connect` (`localAddress`/`localPort`), with
    /// SO_REUSEADDR as libuv's `uv__tcp_bind` sets on every TCP bind: a local port whose
    /// last connection is in TIME_WAIT binds again.
    #[napi(catch_unwind)]
    pub fn bind(&mut self, ip: String, port: u32) -> i32 {
        let local = match addr::parse(&ip, port) {
            Ok(local) => local,
            Err(status) => return status,
        };
        // A handle that has its socket already (adopted, or connected before) binds that
        // one, as libuv binds the handle's fd: bound already, the kernel says EINVAL.
        if let Some(io) = self.core.io().as_ref() {
            let sock = io.sock();
            return status(
                sock.set_reuse_address(true)
                    .and_then(|()| sock.bind(&local.into())),
            );
        }
        let result = new_tcp_socket(&local).and_then(|socket| {
            socket.set_reuse_address(true)?;
            socket.bind(&local.into())?;
            Ok(socket)
        });
        match result {
            Ok(socket) => {
                self.unconnected = Some(socket);
                0
            }
            Err(err) => status_of(&err),
        }
    }

    /// The socket's file descriptor, or -1 before it has one (Node's `handle.fd`).
    #[napi(getter, catch_unwind)]
    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self.core.io().as_ref() {
            Some(io) => io.raw_fd(),
            None => self.unconnected.as_ref().map_or(-1, |s| s.as_raw_fd()),
        }
    }

    /// Adopts an open fd (a TCP or Unix socket, a FIFO or a pipe end), as Node's
    /// `handle.open(fd)`.
    #[napi(catch_unwind)]
    pub fn open(&mut self, fd: i32) -> i32 {
        let adopted = match crate::io::fd::adopt(fd) {
            Ok(adopted) => adopted,
            Err(status) => return status,
        };
        let io = match adopted {
            Adopted::Socket(socket, is_unix) => {
                let kind = if is_unix { Kind::Unix } else { Kind::Tcp };
                Ok(Io::new(socket.into(), kind))
            }
            Adopted::Fifo(fd) => self.open_fifo(fd),
        };
        match io {
            Ok(io) => {
                if !io.is_fifo() && io.sock().peer_addr().is_err() {
                    // Not connected yet: Node may start reading before connect().
                    self.core.await_peer();
                }
                driver::adopt(&self.core, io)
            }
            Err(err) => status_of(&err),
        }
    }

    /// A pipe handle reads and writes only in the directions its fd was opened for.
    fn open_fifo(&mut self, fd: OwnedFd) -> std::io::Result<Io> {
        let kind = fifo::open(fd.as_fd())?;
        if let Kind::Fifo { readable, writable } = kind {
            (self.readable, self.writable) = (readable, writable);
        }
        Ok(Io::new(fd, kind))
    }

    /// Starts a TCP connect to an IP literal; a `Connected` event reports the outcome.
    ///
    /// As libuv does, connect(2) is called now: a failure the kernel reports at once is
    /// returned here (Node throws it from `connect()` as a `connect` error), except
    /// ECONNREFUSED, which libuv reports later like any refused connection.
    #[napi(catch_unwind)]
    pub fn connect(&mut self, env: Env, ip: String, port: u32) -> i32 {
        if let Some(status) = self.connect_refused() {
            return status;
        }
        let remote = match addr::parse(&ip, port) {
            Ok(remote) => remote,
            Err(status) => return status,
        };
        if let Err(err) = runtime::get() {
            return status_of(&err);
        }
        if self.core.io().is_some() {
            return self.connect_adopted(&env, Ok(remote.into()), false);
        }
        let socket = match self.unconnected.take() {
            Some(socket) => socket,
            None => match new_tcp_socket(&remote) {
                Ok(socket) => socket,
                Err(err) => return status_of(&err),
            },
        };
        let started = match begin_connect(&SockRef::from(&socket), &remote.into()) {
            Ok(pending) => Ok(pending),
            Err(err) if err.raw_os_error() == Some(libc::ECONNREFUSED) => Err(err),
            Err(err) => {
                // Kept so that the error can name the local end, as Node's does.
                self.unconnected = Some(socket);
                return status_of(&err);
            }
        };
        let io = Io::new(socket.into(), Kind::Tcp);
        let status = match started {
            Ok(pending) => self.driver.connect(&self.core, io, pending),
            // Reported later, as libuv reports a refused connection.
            Err(refused) => driver::connect_failed(&self.core, Some(io), refused),
        };
        self.connect_started(&env, status)
    }

    /// Why a connect cannot start: a closed handle, or one already connecting (libuv
    /// answers EALREADY until the connect callback has run).
    fn connect_refused(&self) -> Option<i32> {
        if self.core.is_closed() {
            Some(EINVAL)
        } else if self.with_live(|live| live.connecting.get()) == Some(true) {
            Some(EALREADY)
        } else {
            None
        }
    }

    /// Starts a Unix-socket connect; a `Connected` event reports the outcome.
    #[napi(catch_unwind)]
    pub fn connect_pipe(&mut self, env: Env, path: String) -> i32 {
        if let Some(status) = self.connect_refused() {
            return status;
        }
        if let Err(err) = runtime::get() {
            return status_of(&err);
        }
        if self.core.io().is_some() {
            return self.connect_adopted(&env, addr::unix_sockaddr(&path), true);
        }
        let started = new_unix_socket().and_then(|socket| {
            let pending = begin_connect(&SockRef::from(&socket), &addr::unix_sockaddr(&path)?)?;
            Ok((socket, pending))
        });
        let status = match started {
            Ok((socket, pending)) => {
                self.driver
                    .connect(&self.core, Io::new(socket.into(), Kind::Unix), pending)
            }
            // Reported later, as libuv reports a pipe's every connect failure.
            Err(failed) => driver::connect_failed(&self.core, None, failed),
        };
        self.connect_started(&env, status)
    }

    #[napi(catch_unwind)]
    pub fn read_start(&mut self, env: Env) -> i32 {
        if !self.readable {
            return ENOTCONN;
        }
        self.with_live(|live| {
            live.reading.set(true);
            live.sync(&env);
        });
        self.driver.read_start(&self.core)
    }

    /// Stops reading; JS also calls it at EOF or a read error, when reading is over.
    #[napi(catch_unwind)]
    pub fn read_stop(&mut self, env: Env) -> i32 {
        self.with_live(|live| {
            live.reading.set(false);
            live.sync(&env);
        });
        self.driver.read_stop(&self.core);
        0
    }

    /// Writes one Buffer: 0 = written now, 1 = queued (a `Written` event follows), < 0 error.
    #[napi(catch_unwind)]
    pub fn write_buffer(&mut self, env: Env, data: JsBuffer) -> napi::Result<i32> {
        if !self.writable {
            return Ok(EPIPE);
        }
        // SAFETY: the value napi-rs got for this call's argument, in this call.
        let buffer = unsafe { data.raw() };
        let data = data.into_value()?;
        // SAFETY: on this JS thread, inside the napi call that got `buffer` and `data`.
        let hold = || unsafe { held_write::hold(env.raw(), buffer, &data) };
        let status = self.core.write_buffer(&data, &hold);
        self.note_request(&env, status);
        Ok(status)
    }

    /// Writes several chunks as one request (`cork`/`_writev`), in one syscall if
    /// possible: Buffers, and strings written as latin1 (see `chunks`).
    #[napi(catch_unwind)]
    pub fn writev(&mut self, env: Env, chunks: JsObject) -> napi::Result<i32> {
        if !self.writable {
            return Ok(EPIPE);
        }
        let status = chunks::with_chunks(&env, &chunks, |slices| {
            if slices.is_empty() {
                0
            } else {
                self.core.write(slices)
            }
        })?;
        self.note_request(&env, status);
        Ok(status)
    }

    /// Sends FIN after queued writes: 0 = sent now, 1 = a `Shutdown` event follows.
    #[napi(catch_unwind)]
    pub fn shutdown(&mut self, env: Env) -> i32 {
        if !self.writable {
            return ENOTCONN;
        }
        let status = self.core.shutdown();
        self.note_request(&env, status);
        status
    }

    /// Closes the socket now. Pending events of this handle are dropped by JS.
    #[napi(catch_unwind)]
    pub fn close(&mut self, env: Env) {
        self.unconnected = None;
        // The driver lets go of the fd before it is closed.
        self.driver.stop();
        self.core.close();
        // A closed handle counts nothing: its share of the ref count goes with it.
        let live = LIVENESS.with(|map| map.borrow_mut().remove(&self.core.id));
        if live.is_some_and(|live| live.counted.get()) {
            env::release(&env);
        }
    }

    /// Closes with an RST instead of a FIN (SO_LINGER 0), as `resetAndDestroy()`.
    #[napi(catch_unwind)]
    pub fn reset(&mut self, env: Env) -> i32 {
        let result = match self.core.io().as_ref() {
            Some(io) => status(io.sock().set_linger(Some(Duration::ZERO))),
            None => 0,
        };
        self.close(env);
        result
    }

    #[napi(js_name = "ref", catch_unwind)]
    pub fn ref_(&mut self, env: Env) {
        self.with_live(|live| {
            live.refed.set(true);
            live.sync(&env);
        });
    }

    #[napi(catch_unwind)]
    pub fn unref(&mut self, env: Env) {
        self.with_live(|live| {
            live.refed.set(false);
            live.sync(&env);
        });
    }

    #[napi(catch_unwind)]
    pub fn has_ref(&self) -> bool {
        // A closed handle holds no ref (libuv's `uv_has_ref` of a closing handle).
        self.with_live(|live| live.refed.get()).unwrap_or(false)
    }

    #[napi(catch_unwind)]
    pub fn getsockname(&self) -> Option<SockAddr> {
        let io = self.core.io();
        match io.as_ref() {
            Some(io) => inet_addr(io.is_tcp(), io.sock().local_addr()),
            None => local_of(self.unconnected.as_ref()?),
        }
    }

    #[napi(catch_unwind)]
    pub fn getpeername(&self) -> Option<SockAddr> {
        let io = self.core.io();
        let io = io.as_ref()?;
        inet_addr(io.is_tcp(), io.sock().peer_addr())
    }

    #[napi(catch_unwind)]
    pub fn set_no_delay(&self, enable: bool) -> i32 {
        match self.core.io().as_ref().filter(|io| io.is_tcp()) {
            Some(tcp) => status(tcp.sock().set_tcp_nodelay(enable)),
            None => 0,
        }
    }

    /// SO_KEEPALIVE with the first probe after `delay_secs` (0: the system default).
    #[napi(catch_unwind)]
    pub fn set_keep_alive(&self, enable: bool, delay_secs: u32) -> i32 {
        let io = self.core.io();
        let Some(io) = io.as_ref() else { return 0 };
        if !io.is_tcp() {
            return 0;
        }
        let sock = io.sock();
        if !enable || delay_secs == 0 {
            return status(sock.set_keepalive(enable));
        }
        // libuv's settings: first probe after the delay, then every second, 10 probes.
        let keepalive = TcpKeepalive::new()
            .with_time(Duration::from_secs(u64::from(delay_secs)))
            .with_interval(Duration::from_secs(1))
            .with_retries(10);
        status(sock.set_tcp_keepalive(&keepalive))
    }

    /// Starts splicing this stream into `dst` (lib/splice.js): its reader stops and
    /// answers with a `SpliceReady(generation)` event. 0, or a status < 0 when a splice
    /// is not possible now (then the pipe runs through JS).
    #[napi(catch_unwind)]
    pub fn splice_to(&self, dst: &SocketHandle, generation: u32) -> i32 {
        if !self.driver.can_splice() || !dst.driver.can_splice() {
            return EAGAIN;
        }
        self.core.splice_arm(&dst.core, generation)
    }

    /// Completes the handshake `splice_to` began; false if it is no longer current.
    #[napi(catch_unwind)]
    pub fn splice_commit(&self, generation: u32) -> bool {
        self.core.splice_commit(generation)
    }

    /// Stops a splice (armed or running): later reads go to JS again.
    #[napi(catch_unwind)]
    pub fn splice_stop(&self) {
        self.core.splice_stop();
    }

    /// Bytes this stream read and spliced onward (added to `bytesRead` in JS).
    #[napi(getter, catch_unwind)]
    pub fn spliced_read(&self) -> f64 {
        self.core.spliced_read() as f64
    }

    /// Bytes spliced into this stream (added to `bytesWritten` in JS).
    #[napi(getter, catch_unwind)]
    pub fn spliced_written(&self) -> f64 {
        self.core.spliced_written() as f64
    }

    /// Bytes queued in native code, not yet accepted by the kernel.
    #[napi(getter, catch_unwind)]
    pub fn write_queue_size(&self) -> u32 {
        u32::try_from(self.core.queued_bytes()).unwrap_or(u32::MAX)
    }
}

impl SocketHandle {
    /// Connects the socket adopted from an fd in place, as libuv connects the fd a
    /// handle was opened with: connect(2) runs now, on the JS thread. For TCP
    /// (`uv_tcp_connect`) a failure the kernel reports at once (EISCONN after a
    /// shutdown) is returned for `connect()` to throw, except ECONNREFUSED, which
    /// comes later like any refused connection; a pipe (`uv_pipe_connect`) reports
    /// every failure later. Otherwise a `Connected` event follows.
    fn connect_adopted(
        &mut self,
        env: &Env,
        addr: std::io::Result<socket2::SockAddr>,
        is_pipe: bool,
    ) -> i32 {
        let started = addr.and_then(|addr| match self.core.io().as_ref() {
            Some(io) => begin_connect(&io.sock(), &addr),
            None => Err(std::io::ErrorKind::NotConnected.into()),
        });
        if let Err(err) = &started {
            if !is_pipe && err.raw_os_error() != Some(libc::ECONNREFUSED) {
                return status_of(err);
            }
        }
        let status = driver::connect_adopted(&self.core, started);
        self.connect_started(env, status)
    }

    /// A connect started (`status` 0): one request in flight, until JS has its outcome.
    fn connect_started(&mut self, env: &Env, status: i32) -> i32 {
        if status == 0 {
            self.with_live(|live| live.connecting.set(true));
            self.begin(env);
        }
        status
    }

    /// A request started (connect, write, shutdown).
    fn begin(&mut self, env: &Env) {
        self.with_live(|live| {
            live.in_flight.set(live.in_flight.get() + 1);
            live.sync(env);
        });
    }

    /// A write or shutdown that will complete with an event is one request in flight,
    /// which the driver flushes once the socket is writable.
    fn note_request(&mut self, env: &Env, status: i32) {
        if status == QUEUED {
            self.begin(env);
            let reading = self.with_live(|live| live.reading.get()) == Some(true);
            self.driver.watch_writes(&self.core, reading);
        }
    }

    /// Runs `f` on this handle's liveness, while it is open.
    fn with_live<T>(&self, f: impl FnOnce(&Liveness) -> T) -> Option<T> {
        with_liveness(self.core.id, f)
    }
}

impl Drop for SocketHandle {
    /// Collected without a close: its id no longer counts anything.
    fn drop(&mut self) {
        // The thread's map may already be gone when its environment ends.
        let _ = LIVENESS.try_with(|map| map.borrow_mut().remove(&self.core.id));
    }
}

/// What `napi::tcp_tuning` (rsnet's extensions beyond `net`) reaches: the stream, and
/// the socket made before connect(2), so that an option can be set on it first.
impl SocketHandle {
    pub(super) fn stream(&self) -> &Arc<StreamCore> {
        &self.core
    }

    pub(super) fn unconnected_mut(&mut self) -> &mut Option<Socket> {
        &mut self.unconnected
    }
}

/// A non-blocking, close-on-exec socket, made so in the one socket(2) call.
fn new_tcp_socket(addr: &SocketAddr) -> std::io::Result<Socket> {
    Socket::new(
        Domain::for_address(*addr),
        Type::STREAM.nonblocking(),
        Some(Protocol::TCP),
    )
}

fn new_unix_socket() -> std::io::Result<Socket> {
    Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)
}

/// A TCP socket's address as Node reports it (Unix sockets report none here).
fn inet_addr(is_tcp: bool, addr: std::io::Result<socket2::SockAddr>) -> Option<SockAddr> {
    if !is_tcp {
        return None;
    }
    addr.ok()?.as_socket().map(SockAddr::from)
}

fn local_of(socket: &Socket) -> Option<SockAddr> {
    socket.local_addr().ok()?.as_socket().map(SockAddr::from)
}

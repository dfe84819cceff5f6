//! `socket.sendFile()` (rsnet beyond net, issue #20): a file's bytes go to the socket
//! with sendfile(2), kernel to kernel, on a runtime thread, so the JS thread never
//! blocks on the disk or the socket and the bytes never enter user space.
//!
//! JS hands it over as one write (`lib/send_file.js`): the stream's earlier writes are
//! out before it starts and later ones wait for it, so nothing interleaves.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

use napi::{Env, JsObject};
use napi_derive::napi;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use crate::core::runtime;
use crate::core::stream::StreamCore;
use crate::napi::socket::SocketHandle;
use crate::sys::errno::{status_of, EBADF, ECANCELED};

/// sendfile(2) moves at most this much per call (the kernel's own cap).
const MAX_CHUNK: u64 = 0x7fff_f000;

#[napi]
impl SocketHandle {
    /// Sends the open file `file_fd` from byte `offset`, `length` bytes (< 0: to its
    /// end). The fd is duplicated, so the caller may close its own at once. Resolves
    /// with `[bytes sent, status, waited]`: status 0, or < 0 for the error that stopped
    /// it (ECANCELED when the handle closed first); waited 1 if the socket was full at
    /// some point (the peer or the network held the send back), else 0.
    #[napi(catch_unwind, ts_return_type = "Promise<number[]>")]
    pub fn send_file(
        &self,
        env: Env,
        file_fd: i32,
        offset: f64,
        length: f64,
    ) -> napi::Result<JsObject> {
        let (deferred, promise) = env.create_deferred()?;
        let started = self
            .send_file_task(file_fd, offset, length)
            .and_then(|task| {
                let runtime = runtime::get().map_err(|err| status_of(&err))?;
                Ok((runtime, task))
            });
        match started {
            Ok((runtime, task)) => {
                runtime.spawn(async move {
                    let sent = task.await;
                    deferred.resolve(outcome(sent));
                });
            }
            Err(status) => deferred.resolve(outcome(Sent::failed(0, status))),
        }
        Ok(promise)
    }
}

impl SocketHandle {
    /// Everything that can fail at once, on the JS thread; the rest runs on the runtime.
    fn send_file_task(
        &self,
        file_fd: i32,
        offset: f64,
        length: f64,
    ) -> Result<impl std::future::Future<Output = Sent>, i32> {
        let core = self.stream().clone();
        let socket = {
            let io = core.io();
            let io = io.as_ref().ok_or(EBADF)?;
            io.sock().try_clone().map_err(|err| status_of(&err))?
        };
        let file = dup_fd(file_fd).map_err(|err| status_of(&err))?;
        let offset = offset.max(0.0) as u64;
        let length = if length < 0.0 {
            u64::MAX
        } else {
            length as u64
        };
        Ok(async move { pump(core, OwnedFd::from(socket), file, offset, length).await })
    }
}

/// How a send ended: bytes sent, status (0 or < 0), and whether the socket was ever
/// full (JS reports that as a write that had to wait for 'drain').
struct Sent {
    bytes: u64,
    status: i32,
    waited: bool,
}

impl Sent {
    fn failed(bytes: u64, status: i32) -> Sent {
        Sent {
            bytes,
            status,
            waited: false,
        }
    }
}

/// What the promise resolves with: `[bytes sent, status, waited]`.
fn outcome(sent: Sent) -> impl FnOnce(Env) -> napi::Result<Vec<f64>> {
    move |_| {
        Ok(vec![
            sent.bytes as f64,
            f64::from(sent.status),
            f64::from(u8::from(sent.waited)),
        ])
    }
}

/// Calls sendfile(2) until `length` bytes went, the file ended, an error, or the
/// stream closed; waits for the socket to be writable in between.
async fn pump(
    core: Arc<StreamCore>,
    socket: OwnedFd,
    file: OwnedFd,
    offset: u64,
    length: u64,
) -> Sent {
    // SAFETY: `socket` is an OwnedFd (a duplicate of the stream's fd) that the AsyncFd
    // owns from here on: it stays open, and the same fd, until the AsyncFd is dropped.
    let registered = unsafe { AsyncFd::register_with_interest(socket, Interest::WRITABLE) };
    let socket = match registered {
        Ok(socket) => socket,
        Err(err) => return Sent::failed(0, status_of(&err.into_parts().1)),
    };
    let mut position = offset as libc::off_t;
    let mut sent = Sent::failed(0, 0);
    while sent.bytes < length {
        let ready = tokio::select! {
            ready = socket.writable() => ready,
            _ = core.closed() => return Sent { status: ECANCELED, ..sent },
        };
        let mut guard = match ready {
            Ok(guard) => guard,
            Err(err) => {
                return Sent {
                    status: status_of(&err),
                    ..sent
                }
            }
        };
        let want = (length - sent.bytes).min(MAX_CHUNK) as usize;
        match guard.try_io(|fd| send_some(fd.get_ref(), &file, &mut position, want)) {
            Ok(Ok(0)) => break, // the file ended
            Ok(Ok(n)) => sent.bytes += n as u64,
            Ok(Err(err)) => {
                return Sent {
                    status: status_of(&err),
                    ..sent
                }
            }
            Err(_would_block) => sent.waited = true,
        }
    }
    sent
}

/// One sendfile(2) of up to `count` bytes from `file` at `position` (advanced).
#[cfg(target_os = "linux")]
fn send_some(
    socket: &OwnedFd,
    file: &OwnedFd,
    position: &mut libc::off_t,
    count: usize,
) -> io::Result<usize> {
    loop {
        // SAFETY: both fds are open (owned here) for the call; `position` is a valid
        // off_t we borrow mutably, which the kernel advances by what it sent.
        let n = unsafe { libc::sendfile(socket.as_raw_fd(), file.as_raw_fd(), position, count) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Not Linux: JS throws ERR_FEATURE_UNAVAILABLE_ON_PLATFORM before it gets here.
#[cfg(not(target_os = "linux"))]
fn send_some(_: &OwnedFd, _: &OwnedFd, _: &mut libc::off_t, _: usize) -> io::Result<usize> {
    Err(io::Error::from_raw_os_error(libc::ENOTSUP))
}

/// A close-on-exec duplicate of `fd` (EBADF for one that is not open).
fn dup_fd(fd: i32) -> io::Result<OwnedFd> {
    // SAFETY: fcntl(F_DUPFD_CLOEXEC) only reads `fd`; an invalid one fails with EBADF.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if copy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `copy` is a fresh fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

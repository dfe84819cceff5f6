//! The opt-in "loop" driver (`RSNET_DRIVER=loop`): reads happen on the JS thread.
//!
//! In the default driver a Tokio thread reads and wakes the JS thread through the
//! threadsafe function: two thread wake-ups per incoming message where Node pays one.
//! Here each reading stream gets a `uv_poll` handle in Node's own event loop. When the
//! socket is readable, libuv calls us on the JS thread; we read with `recv` and hand the
//! data to JS at once (through `napi_make_callback`, so ticks run as after any Node I/O
//! callback). Tokio still owns the socket: connect, accept, queued writes and FIN stay
//! on the runtime, and the same event records reach the same JS dispatcher.

use std::ffi::{c_int, c_void};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::AsRawFd;
use std::sync::Arc;

use bytes::BytesMut;

use crate::errors::status_of;
use crate::events::{self, Event};
use crate::stream::{Io, StreamCore};

extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_poll_init(event_loop: *mut c_void, handle: *mut Poll, fd: c_int) -> c_int;
    fn uv_poll_start(
        handle: *mut Poll,
        events: c_int,
        cb: unsafe extern "C" fn(*mut Poll, c_int, c_int),
    ) -> c_int;
    fn uv_poll_stop(handle: *mut Poll) -> c_int;
    fn uv_close(handle: *mut Poll, cb: unsafe extern "C" fn(*mut Poll));
    fn uv_unref(handle: *mut Poll);
}

/// libuv's `UV_POLL` handle type and `UV_READABLE` event bit.
const UV_POLL: c_int = 8;
const UV_READABLE: c_int = 1;
/// Room reserved for one read, and reads per readiness callback (fairness).
const READ_SIZE: usize = 64 * 1024;
const READS_PER_WAKE: usize = 4;
const POLL_BYTES: usize = 256;
/// Rounds of events queued during a direct delivery that are delivered right after it.
const FOLLOW_UPS: usize = 8;

/// Storage for a `uv_poll_t`. libuv handles start with `void* data`.
#[repr(C, align(16))]
pub struct Poll {
    data: *mut c_void,
    _rest: [u8; POLL_BYTES - 8],
}

/// True when the loop driver was asked for and this libuv's poll handle fits.
pub fn wanted() -> bool {
    std::env::var("RSNET_DRIVER").is_ok_and(|v| v == "loop")
        && unsafe { uv_handle_size(UV_POLL) } <= POLL_BYTES
}

/// The JS-thread reader of one stream: a started or stopped `uv_poll`.
pub struct Reader {
    poll: *mut Poll,
}

impl Reader {
    /// Creates the poll handle for `core`'s socket. None if the socket is not open.
    pub fn new(event_loop: *mut c_void, core: &Arc<StreamCore>) -> Option<Reader> {
        let fd = match core.io().as_ref()? {
            Io::Tcp(s) => s.as_raw_fd(),
            Io::Unix(s) => s.as_raw_fd(),
        };
        let poll = Box::into_raw(Box::new(Poll {
            data: std::ptr::null_mut(),
            _rest: [0; POLL_BYTES - 8],
        }));
        unsafe {
            if uv_poll_init(event_loop, poll, fd) != 0 {
                drop(Box::from_raw(poll));
                return None;
            }
            // Liveness is counted by rsnet's own handles; the poll must not keep the loop.
            uv_unref(poll);
            (*poll).data = Arc::into_raw(core.clone()) as *mut c_void;
        }
        Some(Reader { poll })
    }

    pub fn start(&self) -> i32 {
        unsafe { uv_poll_start(self.poll, UV_READABLE, on_readable) }
    }

    pub fn stop(&self) {
        unsafe { uv_poll_stop(self.poll) };
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        // The memory belongs to libuv until its close callback.
        unsafe {
            uv_poll_stop(self.poll);
            uv_close(self.poll, on_closed);
        }
    }
}

unsafe extern "C" fn on_closed(poll: *mut Poll) {
    let poll = unsafe { Box::from_raw(poll) };
    drop(unsafe { Arc::from_raw(poll.data as *const StreamCore) });
}

/// libuv says the socket is readable: read what is there and deliver it now.
unsafe extern "C" fn on_readable(poll: *mut Poll, status: c_int, _events: c_int) {
    let core = unsafe { &*((*poll).data as *const StreamCore) };
    let core = unsafe {
        Arc::increment_strong_count(core);
        Arc::from_raw(core)
    };
    let mut batch = Vec::new();
    // libuv reports POLLERR (a reset, say) as UV_EBADF: a read tells the real error.
    if read_available(&core, &mut batch) || status < 0 {
        if batch.is_empty() {
            batch.push(Event::ReadError(core.id, status));
        }
        // EOF or error: nothing more will be read.
        unsafe { uv_poll_stop(poll) };
    }
    if batch.is_empty() {
        return;
    }
    let Some(batch) = core.channel().send_unless_idle(batch) else {
        return;
    };
    events::deliver_now(batch);
    for _ in 0..FOLLOW_UPS {
        let more = core.channel().take_now();
        if more.is_empty() {
            break;
        }
        events::deliver_now(more);
    }
}

/// Reads until the socket is drained (or a few reads were made); returns true at EOF
/// or on an error.
fn read_available(core: &Arc<StreamCore>, batch: &mut Vec<Event>) -> bool {
    let io = core.io();
    let Some(io) = io.as_ref() else { return true };
    let sock = io.sock();
    for _ in 0..READS_PER_WAKE {
        let mut buf = BytesMut::with_capacity(READ_SIZE);
        let spare: &mut [MaybeUninit<u8>] = buf.spare_capacity_mut();
        match sock.recv(spare) {
            Ok(0) => {
                batch.push(Event::Eof(core.id));
                return true;
            }
            Ok(n) => {
                // recv initialised the first n bytes.
                unsafe { buf.set_len(n) };
                core.note_undelivered(n);
                batch.push(Event::Data(core.clone(), buf.freeze()));
                if n < READ_SIZE {
                    return false;
                }
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return false,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                batch.push(Event::ReadError(core.id, status_of(&err)));
                return true;
            }
        }
    }
    false
}

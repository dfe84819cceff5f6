//! io::Error -> the negative errno Node's handles report (UV_* on Unix equals -errno).

use std::io;

/// libuv's UV_UNKNOWN: what Node reports for an error with no OS code.
const UV_UNKNOWN: i32 = -4094;

/// The status a Node handle would report for `err`: `-errno`, or UV_UNKNOWN.
pub fn status_of(err: &io::Error) -> i32 {
    match err.raw_os_error() {
        Some(code) if code > 0 => -code,
        _ => match err.kind() {
            io::ErrorKind::InvalidInput => -22,  // EINVAL
            io::ErrorKind::NotConnected => -107, // ENOTCONN
            io::ErrorKind::BrokenPipe => -32,    // EPIPE
            _ => UV_UNKNOWN,
        },
    }
}

/// Turns an io::Result into the 0-or-negative status convention of Node's handles.
pub fn status<T>(result: io::Result<T>) -> i32 {
    match result {
        Ok(_) => 0,
        Err(err) => status_of(&err),
    }
}

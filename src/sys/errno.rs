//! The statuses rsnet's handles report, in one place: libuv's convention on Unix,
//! `-errno` from libc, plus libuv's own codes. JS reads the ones it needs from the
//! addon (`napi::batch::constants`), so no number of the JS<->Rust contract is
//! written twice.

use std::io;

pub const EACCES: i32 = -libc::EACCES;
pub const EADDRINUSE: i32 = -libc::EADDRINUSE;
pub const EAGAIN: i32 = -libc::EAGAIN;
pub const EALREADY: i32 = -libc::EALREADY;
pub const EBADF: i32 = -libc::EBADF;
pub const EBUSY: i32 = -libc::EBUSY;
pub const ECANCELED: i32 = -libc::ECANCELED;
pub const ECONNRESET: i32 = -libc::ECONNRESET;
pub const EINVAL: i32 = -libc::EINVAL;
pub const ENOTCONN: i32 = -libc::ENOTCONN;
pub const EPIPE: i32 = -libc::EPIPE;
pub const ETIMEDOUT: i32 = -libc::ETIMEDOUT;
/// libuv's end of file, as stream handles report it to `onread`.
pub const UV_EOF: i32 = -4095;
/// libuv's UV_UNKNOWN: what Node reports for an error with no OS code.
pub const UV_UNKNOWN: i32 = -4094;

/// The status a Node handle would report for `err`: `-errno`, or UV_UNKNOWN.
pub fn status_of(err: &io::Error) -> i32 {
    match err.raw_os_error() {
        Some(code) if code > 0 => -code,
        _ => match err.kind() {
            io::ErrorKind::InvalidInput => EINVAL,
            io::ErrorKind::NotConnected => ENOTCONN,
            io::ErrorKind::BrokenPipe => EPIPE,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_become_negative_errno() {
        let refused = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert_eq!(status_of(&refused), -111);
        assert_eq!(status::<()>(Err(refused)), -111);
        assert_eq!(status(Ok(5)), 0);
    }

    #[test]
    fn errors_without_an_os_code_map_by_kind() {
        assert_eq!(status_of(&io::ErrorKind::InvalidInput.into()), EINVAL);
        assert_eq!(status_of(&io::ErrorKind::NotConnected.into()), ENOTCONN);
        assert_eq!(status_of(&io::ErrorKind::BrokenPipe.into()), EPIPE);
        assert_eq!(status_of(&io::ErrorKind::Other.into()), UV_UNKNOWN);
    }

    #[test]
    fn libc_values_match_libuv_on_linux() {
        assert_eq!(
            (EINVAL, EBADF, EAGAIN, ENOTCONN, EPIPE),
            (-22, -9, -11, -107, -32)
        );
        assert_eq!((EALREADY, ECANCELED, ETIMEDOUT), (-114, -125, -110));
    }
}

//! rsnet's verbs beyond Node 20's `net` (issue #20): port sharing, TCP tuning, and
//! `TCP_INFO` introspection. Separate from the handles' own files because none of it
//! is part of the `net` contract: nothing here runs unless a program asks for it.
//!
//! Linux only. Elsewhere every verb answers ENOTSUP; `lib/tcp_extensions.js` throws
//! `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM` before it gets that far.
//!
//! Like the handles' verbs, each returns 0 or a negative errno, and does nothing (0) on
//! a Unix-socket handle, as libuv's `uv_tcp_nodelay`/`uv_tcp_keepalive` are never
//! reached for a pipe.

use std::io;

use napi::{JsTypedArray, TypedArrayType};
use napi_derive::napi;
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::napi::server::ServerHandle;
use crate::napi::socket::SocketHandle;
use crate::sys::errno::{status, status_of, EBADF, EINVAL};

/// Number of `f64` slots `SocketHandle::tcp_info` fills; the order is `TCP_INFO_FIELDS`.
pub const TCP_INFO_SLOTS: usize = TCP_INFO_FIELDS.len();

/// The `struct tcp_info` fields rsnet reports: the name JS gives each (the kernel's,
/// in camelCase), its byte offset and its width in bytes. JS reads the names from
/// `SocketHandle.tcpInfoFields()` and the values in this order. Offsets are the kernel's UAPI layout
/// (`linux/tcp.h`), stable since each field was added; a field newer than the running
/// kernel reads as 0, because the kernel copies only the part it knows.
const TCP_INFO_FIELDS: [(&str, usize, usize); 35] = [
    ("state", 0, 1),
    ("caState", 1, 1),
    ("retransmits", 2, 1),
    ("probes", 3, 1),
    ("backoff", 4, 1),
    ("options", 5, 1),
    ("rto", 8, 4),  // (µs)
    ("ato", 12, 4), // (µs)
    ("sndMss", 16, 4),
    ("rcvMss", 20, 4),
    ("unacked", 24, 4),
    ("sacked", 28, 4),
    ("lost", 32, 4),
    ("retrans", 36, 4),
    ("lastDataSent", 44, 4), // (ms)
    ("lastDataRecv", 52, 4), // (ms)
    ("lastAckRecv", 56, 4),  // (ms)
    ("pmtu", 60, 4),
    ("rcvSsthresh", 64, 4),
    ("rtt", 68, 4),    // (µs)
    ("rttVar", 72, 4), // (µs)
    ("sndSsthresh", 76, 4),
    ("sndCwnd", 80, 4),
    ("advmss", 84, 4),
    ("reordering", 88, 4),
    ("rcvRtt", 92, 4), // (µs)
    ("rcvSpace", 96, 4),
    ("totalRetrans", 100, 4),
    ("bytesAcked", 120, 8),
    ("bytesReceived", 128, 8),
    ("segsOut", 136, 4),
    ("segsIn", 140, 4),
    ("notsentBytes", 144, 4),
    ("minRtt", 148, 4),       // (µs)
    ("deliveryRate", 160, 8), // (bytes/s)
];

/// Room for the whole `struct tcp_info` of current kernels (it grows at the end).
const TCP_INFO_BYTES: usize = 256;

#[napi]
impl SocketHandle {
    /// TCP_KEEPINTVL (seconds) and TCP_KEEPCNT; a 0 leaves that one as it is.
    #[napi(catch_unwind)]
    pub fn set_keep_alive_probes(&self, interval_secs: u32, count: u32) -> i32 {
        self.on_tcp(|sock| {
            if interval_secs > 0 {
                os::set_int(&sock, os::IPPROTO_TCP, os::TCP_KEEPINTVL, interval_secs)?;
            }
            if count > 0 {
                os::set_int(&sock, os::IPPROTO_TCP, os::TCP_KEEPCNT, count)?;
            }
            Ok(())
        })
    }

    /// TCP_USER_TIMEOUT: how long (ms) sent data may stay unacknowledged before the
    /// kernel drops the connection (ETIMEDOUT); 0 is the system's default.
    #[napi(catch_unwind)]
    pub fn set_user_timeout(&self, msecs: u32) -> i32 {
        self.on_tcp(|sock| os::set_int(&sock, os::IPPROTO_TCP, os::TCP_USER_TIMEOUT, msecs))
    }

    /// IP_TOS on an IPv4 socket, IPV6_TCLASS on an IPv6 one (and IP_TOS too when its
    /// peer is IPv4-mapped, the packets then being IPv4).
    #[napi(catch_unwind)]
    pub fn set_type_of_service(&self, tos: u32) -> i32 {
        self.on_tcp(|sock| {
            let local = sock.local_addr()?;
            if local.domain() != Domain::IPV6 {
                return os::set_int(&sock, os::IPPROTO_IP, os::IP_TOS, tos);
            }
            os::set_int(&sock, os::IPPROTO_IPV6, os::IPV6_TCLASS, tos)?;
            let mapped = sock
                .peer_addr()
                .ok()
                .and_then(|peer| peer.as_socket_ipv6())
                .is_some_and(|peer| peer.ip().to_ipv4_mapped().is_some());
            if mapped {
                os::set_int(&sock, os::IPPROTO_IP, os::IP_TOS, tos)?;
            }
            Ok(())
        })
    }

    /// Fills `out` (at least `TCP_INFO_SLOTS` long) from getsockopt(TCP_INFO), in the
    /// order of `TCP_INFO_FIELDS`. EBADF when there is no TCP socket (not connected
    /// yet, closed, or a Unix socket). One syscall, no allocation: JS calls this per
    /// request.
    #[napi(catch_unwind)]
    pub fn tcp_info(&self, out: JsTypedArray) -> napi::Result<i32> {
        let mut out = out.into_value()?;
        if out.typedarray_type != TypedArrayType::Float64 || out.length < TCP_INFO_SLOTS {
            return Ok(EINVAL);
        }
        let io = self.stream().io();
        let Some(io) = io.as_ref().filter(|io| io.is_tcp()) else {
            return Ok(EBADF);
        };
        let mut raw = [0u8; TCP_INFO_BYTES];
        if let Err(err) = os::tcp_info(&io.sock(), &mut raw) {
            return Ok(status_of(&err));
        }
        let slots: &mut [f64] = out.as_mut();
        for (slot, &(_, offset, width)) in slots.iter_mut().zip(TCP_INFO_FIELDS.iter()) {
            *slot = read_field(&raw, offset, width);
        }
        Ok(0)
    }

    /// Whether a Fast Open connect is still in its handshake (1) or not (0), sending
    /// the SYN first if no write has yet: a FIN cannot be sent before the handshake
    /// ends (shutdown(2) in SYN_SENT drops the connection), so `end()` waits for 0.
    #[napi(catch_unwind)]
    pub fn fast_open_pending(&self) -> i32 {
        let io = self.stream().io();
        let Some(io) = io.as_ref().filter(|io| io.is_tcp()) else {
            return 0;
        };
        let sock = io.sock();
        let mut raw = [0u8; TCP_INFO_BYTES];
        if let Err(err) = os::tcp_info(&sock, &mut raw) {
            return status_of(&err);
        }
        if raw[0] != os::TCP_SYN_SENT {
            return 0;
        }
        // An empty send on a socket whose connect was deferred sends the SYN (the kernel
        // then answers EINPROGRESS); on one whose SYN left already, it is EAGAIN.
        let _ = sock.send(&[]);
        1
    }

    /// The names of the values `tcp_info` fills, in order.
    #[napi]
    pub fn tcp_info_fields() -> Vec<&'static str> {
        TCP_INFO_FIELDS.iter().map(|&(name, _, _)| name).collect()
    }

    /// Makes the socket a connect will use now, with TCP_FASTOPEN_CONNECT set before
    /// connect(2): where the kernel holds a cookie for the server, connect returns at
    /// once and the SYN carries the first write's bytes. `family` is 4 or 6. A handle
    /// bound before (`localAddress`) or adopted from an fd gets the option on the
    /// socket it has.
    #[napi(catch_unwind)]
    pub fn prepare_fast_open(&mut self, family: u32) -> i32 {
        if self.stream().io().is_some() {
            return self
                .on_tcp(|sock| os::set_int(&sock, os::IPPROTO_TCP, os::TCP_FASTOPEN_CONNECT, 1));
        }
        if let Some(socket) = self.unconnected_mut().as_ref() {
            return status(os::set_int(
                &SockRef::from(socket),
                os::IPPROTO_TCP,
                os::TCP_FASTOPEN_CONNECT,
                1,
            ));
        }
        let domain = match family {
            4 => Domain::IPV4,
            6 => Domain::IPV6,
            _ => return EINVAL,
        };
        let made = Socket::new(domain, Type::STREAM.nonblocking(), Some(Protocol::TCP)).and_then(
            |socket| {
                let sock = SockRef::from(&socket);
                os::set_int(&sock, os::IPPROTO_TCP, os::TCP_FASTOPEN_CONNECT, 1)?;
                Ok(socket)
            },
        );
        match made {
            Ok(socket) => {
                *self.unconnected_mut() = Some(socket);
                0
            }
            Err(err) => status_of(&err),
        }
    }
}

impl SocketHandle {
    /// Runs `set` on the TCP socket; 0 without touching anything on a Unix socket or a
    /// handle with no socket yet (JS remembers the setting and applies it on connect).
    fn on_tcp(&self, set: impl FnOnce(SockRef<'_>) -> io::Result<()>) -> i32 {
        let io = self.stream().io();
        match io.as_ref() {
            Some(io) if io.is_tcp() => status(set(io.sock())),
            _ => 0,
        }
    }
}

#[napi]
impl ServerHandle {
    /// TCP_FASTOPEN on the bound (or listening) TCP socket: how many connections whose
    /// SYN carried data may wait for their handshake to finish. 0 turns it off.
    #[napi(catch_unwind)]
    pub fn set_fast_open(&self, queue_length: u32) -> i32 {
        let fd = self.fd();
        if fd < 0 {
            return EBADF;
        }
        // SAFETY: `fd` is this handle's bound or listening socket, which only the
        // handle's own `close` (a napi method, so on this same JS thread, never during
        // this call) closes; it stays open while borrowed here.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        status(os::set_int(
            &SockRef::from(&fd),
            os::IPPROTO_TCP,
            os::TCP_FASTOPEN,
            queue_length,
        ))
    }
}

/// SO_REUSEPORT, set by `ServerHandle::bind` before bind(2) when `listen()` was given
/// `reusePort: true`: several sockets (processes or servers) then bind one port, and
/// the kernel spreads the incoming connections across them.
pub fn reuse_port(socket: &Socket) -> io::Result<()> {
    os::set_int(&SockRef::from(socket), os::SOL_SOCKET, os::SO_REUSEPORT, 1)
}

/// One unsigned field of a raw `struct tcp_info`, in native byte order.
fn read_field(raw: &[u8; TCP_INFO_BYTES], offset: usize, width: usize) -> f64 {
    let bytes = &raw[offset..offset + width];
    match width {
        1 => f64::from(bytes[0]),
        4 => f64::from(u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
        _ => {
            let mut wide = [0u8; 8];
            wide.copy_from_slice(bytes);
            // Byte counts and rates: exact up to 2^53, far beyond any real connection.
            u64::from_ne_bytes(wide) as f64
        }
    }
}

#[cfg(target_os = "linux")]
mod os {
    use std::io;
    use std::os::fd::AsRawFd;

    use socket2::SockRef;

    pub use libc::{
        IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IPV6_TCLASS, IP_TOS, SOL_SOCKET, SO_REUSEPORT,
        TCP_FASTOPEN, TCP_FASTOPEN_CONNECT, TCP_KEEPCNT, TCP_KEEPINTVL, TCP_USER_TIMEOUT,
    };

    /// `tcpi_state` of a connect whose handshake has not finished.
    pub const TCP_SYN_SENT: u8 = 2;

    /// setsockopt(2) of one int-sized option.
    pub fn set_int(sock: &SockRef<'_>, level: i32, name: i32, value: u32) -> io::Result<()> {
        let value =
            libc::c_int::try_from(value).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: the option value is a c_int we own for the call, its size passed
        // with it; the fd is borrowed (open) for as long as `sock` lives.
        let rc = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                level,
                name,
                std::ptr::addr_of!(value).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// getsockopt(TCP_INFO) into `raw`; the kernel fills what it knows and the rest
    /// keeps its zeroes.
    pub fn tcp_info(sock: &SockRef<'_>, raw: &mut [u8]) -> io::Result<()> {
        let mut len = raw.len() as libc::socklen_t;
        // SAFETY: `raw` is `len` writable bytes we borrow for the call, and the kernel
        // writes at most `len`; the fd is borrowed (open) for as long as `sock` lives.
        let rc = unsafe {
            libc::getsockopt(
                sock.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                raw.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod os {
    //! Not Linux: the verbs exist (so the JS layer loads) and answer ENOTSUP.
    use std::io;

    use socket2::SockRef;

    pub const IPPROTO_IP: i32 = 0;
    pub const IPPROTO_IPV6: i32 = 0;
    pub const IPPROTO_TCP: i32 = 0;
    pub const IPV6_TCLASS: i32 = 0;
    pub const IP_TOS: i32 = 0;
    pub const SOL_SOCKET: i32 = 0;
    pub const SO_REUSEPORT: i32 = 0;
    pub const TCP_FASTOPEN: i32 = 0;
    pub const TCP_FASTOPEN_CONNECT: i32 = 0;
    pub const TCP_KEEPCNT: i32 = 0;
    pub const TCP_KEEPINTVL: i32 = 0;
    pub const TCP_USER_TIMEOUT: i32 = 0;
    pub const TCP_SYN_SENT: u8 = 2;

    pub fn set_int(_: &SockRef<'_>, _: i32, _: i32, _: u32) -> io::Result<()> {
        Err(io::Error::from_raw_os_error(libc::ENOTSUP))
    }

    pub fn tcp_info(_: &SockRef<'_>, _: &mut [u8]) -> io::Result<()> {
        Err(io::Error::from_raw_os_error(libc::ENOTSUP))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_lie_inside_the_struct_and_do_not_overlap() {
        let mut end = 0;
        for &(_, offset, width) in &TCP_INFO_FIELDS {
            assert!(offset >= end, "field at {offset} overlaps the one before");
            assert!(matches!(width, 1 | 4 | 8));
            assert_eq!(offset % width, 0, "field at {offset} is misaligned");
            end = offset + width;
        }
        assert!(end <= TCP_INFO_BYTES);
    }

    #[test]
    fn fields_read_in_native_byte_order() {
        let mut raw = [0u8; TCP_INFO_BYTES];
        raw[0] = 1;
        raw[68..72].copy_from_slice(&1234u32.to_ne_bytes());
        raw[120..128].copy_from_slice(&(5u64 << 40).to_ne_bytes());
        assert_eq!(read_field(&raw, 0, 1), 1.0);
        assert_eq!(read_field(&raw, 68, 4), 1234.0);
        assert_eq!(read_field(&raw, 120, 8), (5u64 << 40) as f64);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_fresh_socket_reports_its_state() {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        let mut raw = [0u8; TCP_INFO_BYTES];
        os::tcp_info(&SockRef::from(&socket), &mut raw).unwrap();
        // TCP_CLOSE: a socket that never connected.
        assert_eq!(raw[0], 7);
        reuse_port(&socket).unwrap();
    }
}

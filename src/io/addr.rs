//! Socket addresses between JS strings and Rust, in the shapes Node uses.

use std::net::{IpAddr, SocketAddr, SocketAddrV6};

use napi_derive::napi;

use crate::sys::errno::EINVAL;

/// What `getsockname`/`getpeername` report, as Node's TCP handle does.
#[napi(object)]
pub struct SockAddr {
    pub address: String,
    /// 'IPv4' or 'IPv6', as Node 20 reports it.
    pub family: String,
    pub port: u32,
}

impl From<SocketAddr> for SockAddr {
    fn from(addr: SocketAddr) -> Self {
        let family = if addr.is_ipv4() { "IPv4" } else { "IPv6" };
        SockAddr {
            // Ipv6Addr's Display prints IPv4-mapped peers as `::ffff:127.0.0.1`, as Node does.
            address: addr.ip().to_string(),
            family: family.to_owned(),
            port: u32::from(addr.port()),
        }
    }
}

/// Parses an IP literal (JS has validated it with `isIP`) and a port into an address.
/// Returns EINVAL as Node's `uv_ip4_addr`/`uv_ip6_addr` would for anything else.
pub fn parse(ip: &str, port: u32) -> Result<SocketAddr, i32> {
    let port = u16::try_from(port).map_err(|_| EINVAL)?;
    // An IPv6 zone (`fe80::1%eth0`, `fe80::1%2`) becomes the scope id, as libuv's
    // `uv_ip6_addr` makes it: an interface name through if_nametoindex (0, no scope,
    // when there is no such interface), else a number.
    let (ip, zone) = match ip.split_once('%') {
        Some((ip, zone)) => (ip, Some(zone)),
        None => (ip, None),
    };
    match (ip.parse::<IpAddr>().map_err(|_| EINVAL)?, zone) {
        (IpAddr::V6(v6), Some(zone)) => Ok(SocketAddr::V6(SocketAddrV6::new(
            v6,
            port,
            0,
            scope_id(zone),
        ))),
        (ip, _) => Ok(SocketAddr::new(ip, port)),
    }
}

fn scope_id(zone: &str) -> u32 {
    if let Ok(index) = zone.parse::<u32>() {
        return index;
    }
    match std::ffi::CString::new(zone) {
        // SAFETY: a valid NUL-terminated string; if_nametoindex only reads it.
        Ok(name) => unsafe { libc::if_nametoindex(name.as_ptr()) },
        Err(_) => 0,
    }
}

/// The size of `sockaddr_un.sun_path` on Linux.
const SUN_PATH: usize = 108;

/// The address of a Unix socket path, built as libuv builds it: a name longer than
/// `sun_path` (108 bytes on Linux) is silently cut to fit, unterminated if it fills it,
/// as Node does; an abstract name (leading NUL) is used as it is. std, mio and socket2
/// all refuse names of 108 bytes, hence the hand-built address.
pub fn unix_sockaddr(path: &str) -> std::io::Result<socket2::SockAddr> {
    const FAMILY_BYTES: usize = 2;
    const AF_UNIX: u16 = 1;
    let bytes = path.as_bytes();
    let abstract_name = bytes.first() == Some(&0);
    let name = &bytes[..bytes.len().min(SUN_PATH)];
    // A path name carries its NUL when there is room; an abstract name never does.
    let terminator = usize::from(!abstract_name && name.len() < SUN_PATH);
    // SAFETY: try_init hands the closure zeroed `sockaddr_storage` (128 bytes, larger
    // than `sockaddr_un`) and trusts it to leave a valid address of `*len` bytes. We
    // write the family (unaligned-safe) and at most SUN_PATH (108) name bytes after
    // it, within the storage; `*len` covers exactly those bytes plus the NUL, which is
    // one of the zeroed bytes after the name when there is room for it.
    let ((), addr) = unsafe {
        socket2::SockAddr::try_init(|storage, len| {
            let base = storage.cast::<u8>();
            base.cast::<u16>().write_unaligned(AF_UNIX);
            std::ptr::copy_nonoverlapping(name.as_ptr(), base.add(FAMILY_BYTES), name.len());
            *len = (FAMILY_BYTES + name.len() + terminator) as _;
            Ok(())
        })?
    };
    Ok(addr)
}

/// The file a Unix socket bound to `path` appears as: the name cut to `sun_path`,
/// as `unix_sockaddr` cuts it, and ended at a NUL as the kernel reads it. libuv
/// chmods this name (from getsockname), though it unlinks the one it was given.
pub fn unix_bound_name(path: &str) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let bytes = &path.as_bytes()[..path.len().min(SUN_PATH)];
    let name = bytes.split(|&byte| byte == 0).next().unwrap_or_default();
    std::ffi::OsStr::from_bytes(name).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ip_literals_and_ports() {
        assert_eq!(parse("127.0.0.1", 80), Ok("127.0.0.1:80".parse().unwrap()));
        assert_eq!(parse("::1", 65535), Ok("[::1]:65535".parse().unwrap()));
        assert_eq!(parse("::1", 65536), Err(EINVAL));
        assert_eq!(parse("localhost", 80), Err(EINVAL));
    }

    #[test]
    fn an_ipv6_zone_becomes_the_scope_id() {
        let scoped = |text| match parse(text, 1) {
            Ok(SocketAddr::V6(v6)) => v6.scope_id(),
            other => panic!("{other:?}"),
        };
        assert_eq!(scoped("fe80::1%7"), 7);
        // SAFETY: a NUL-terminated static name; if_nametoindex only reads it.
        let lo = unsafe { libc::if_nametoindex(c"lo".as_ptr()) };
        assert_eq!(scoped("fe80::1%lo"), lo);
        assert_eq!(scoped("fe80::1%no-such-interface"), 0);
    }

    #[test]
    fn reports_addresses_as_node_does() {
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:9".parse().unwrap();
        let node = SockAddr::from(mapped);
        assert_eq!(
            (node.address.as_str(), node.family.as_str(), node.port),
            ("::ffff:127.0.0.1", "IPv6", 9)
        );
    }
}

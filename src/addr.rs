//! Socket addresses between JS strings and Rust, in the shapes Node uses.

use std::net::{IpAddr, SocketAddr};

use napi_derive::napi;

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
    const EINVAL: i32 = -22;
    let port = u16::try_from(port).map_err(|_| EINVAL)?;
    // Strip an IPv6 zone (`fe80::1%eth0`): std cannot parse it and loopback tests never need it.
    let ip = ip.split('%').next().unwrap_or(ip);
    ip.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, port))
        .map_err(|_| EINVAL)
}

/// The address of a Unix socket path, built as libuv builds it: a name longer than
/// `sun_path` (108 bytes on Linux) is silently cut to fit, unterminated if it fills it,
/// as Node does; an abstract name (leading NUL) is used as it is. std, mio and socket2
/// all refuse names of 108 bytes, hence the hand-built address.
pub fn unix_sockaddr(path: &str) -> std::io::Result<socket2::SockAddr> {
    const SUN_PATH: usize = 108;
    const FAMILY_BYTES: usize = 2;
    const AF_UNIX: u16 = 1;
    let bytes = path.as_bytes();
    let abstract_name = bytes.first() == Some(&0);
    let name = &bytes[..bytes.len().min(SUN_PATH)];
    // A path name carries its NUL when there is room; an abstract name never does.
    let terminator = usize::from(!abstract_name && name.len() < SUN_PATH);
    let ((), addr) = unsafe {
        socket2::SockAddr::try_init(|storage, len| {
            // The storage is zeroed and larger than sockaddr_un.
            let base = storage.cast::<u8>();
            base.cast::<u16>().write_unaligned(AF_UNIX);
            std::ptr::copy_nonoverlapping(name.as_ptr(), base.add(FAMILY_BYTES), name.len());
            *len = (FAMILY_BYTES + name.len() + terminator) as _;
            Ok(())
        })?
    };
    Ok(addr)
}

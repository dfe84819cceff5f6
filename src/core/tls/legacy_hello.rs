//! A ClientHello from a client that cannot do TLS 1.2 (legacy_version below 1.2: a
//! TLS 1.0/1.1-only OpenSSL client). OpenSSL answers it with a `protocol_version`
//! alert, which the client reports as `ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION`; rustls
//! first looks for a common cipher suite, finds none among such a client's (all
//! CBC-SHA), and answers `handshake_failure`. So the server side looks at the first
//! record itself and answers as OpenSSL does.

/// The alert record to send instead of handing `first` (a server's first read) to
/// rustls, when it opens with a ClientHello of a client below TLS 1.2.
pub fn protocol_version_alert(first: &[u8]) -> Option<[u8; 7]> {
    // Record: type 22 (handshake), version (2), length (2); handshake: type 1
    // (ClientHello), length (3), then the hello's legacy_version (2).
    const HANDSHAKE: u8 = 22;
    const CLIENT_HELLO: u8 = 1;
    const FATAL: u8 = 2;
    const PROTOCOL_VERSION: u8 = 70;
    if first.len() < 11 || first[0] != HANDSHAKE || first[5] != CLIENT_HELLO {
        return None;
    }
    let (major, minor) = (first[9], first[10]);
    if major != 3 || minor >= 3 {
        return None;
    }
    // The alert in a record of the client's own version, as OpenSSL sends it.
    Some([21, major, minor, 0, 2, FATAL, PROTOCOL_VERSION])
}

#[cfg(test)]
mod tests {
    use super::protocol_version_alert;

    fn hello(version: [u8; 2]) -> Vec<u8> {
        vec![22, 3, 1, 0, 60, 1, 0, 0, 56, version[0], version[1], 0, 0]
    }

    #[test]
    fn clients_below_tls_1_2_get_protocol_version() {
        assert_eq!(
            protocol_version_alert(&hello([3, 2])),
            Some([21, 3, 2, 0, 2, 2, 70])
        );
        assert_eq!(
            protocol_version_alert(&hello([3, 1])),
            Some([21, 3, 1, 0, 2, 2, 70])
        );
    }

    #[test]
    fn tls_1_2_and_1_3_hellos_and_other_bytes_go_to_rustls() {
        assert_eq!(protocol_version_alert(&hello([3, 3])), None);
        assert_eq!(protocol_version_alert(b"GET / HTTP/1.1\r\n"), None);
        assert_eq!(protocol_version_alert(&hello([3, 2])[..10]), None);
    }
}

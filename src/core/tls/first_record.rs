//! The first record a connection reads, judged as OpenSSL judges it before any TLS
//! parsing, where rustls would answer otherwise:
//!
//! - Bytes that are no TLS record at all (a record version whose major byte is not 3:
//!   junk, or plain HTTP sent to a TLS port). OpenSSL fails with `wrong version number`
//!   (`http request` for a request line, `https proxy request` for a CONNECT) and
//!   sends no alert ("doesn't look like TLS"); rustls sent a decode_error alert, which
//!   a peer that never reads kept unread, so it never saw the connection end
//!   (test-tls-junk-closes-server hung).
//! - A ClientHello from a client that cannot do TLS 1.2 (legacy_version below 1.2: a
//!   TLS 1.0/1.1-only OpenSSL client). OpenSSL answers it with a `protocol_version`
//!   alert, which the client reports as `ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION`; rustls
//!   first looks for a common cipher suite, finds none among such a client's (all
//!   CBC-SHA), and answers `handshake_failure`.

/// How a connection refuses its first record: the alert record to send (if any) and
/// the error it fails with, as Node names OpenSSL's.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub alert: Option<[u8; 7]>,
    /// Node's `err.code`.
    pub code: &'static str,
    /// OpenSSL's error string (Node's message carries it).
    pub message: &'static str,
}

const HANDSHAKE: u8 = 22;
const CLIENT_HELLO: u8 = 1;
const FATAL: u8 = 2;
const PROTOCOL_VERSION: u8 = 70;

/// The refusal of `first` (a connection's first read, `server` on which side), or
/// `None` when rustls is to have it. Like OpenSSL, which judges a record once its
/// 5-byte header is in, a first read shorter than that is left to rustls.
pub fn refusal(first: &[u8], server: bool) -> Option<Refusal> {
    if first.len() < 5 {
        return None;
    }
    if first[1] != 3 && !(server && is_sslv2_hello(first)) {
        return Some(not_tls(first));
    }
    if server {
        return below_tls_1_2(first);
    }
    None
}

/// A record that does not look like TLS: no alert, and the reason OpenSSL gives.
fn not_tls(first: &[u8]) -> Refusal {
    let (code, message) = if [&b"GET "[..], b"POST ", b"HEAD ", b"PUT "]
        .iter()
        .any(|request| first.starts_with(request))
    {
        (
            "ERR_SSL_HTTP_REQUEST",
            "error:0A00009C:SSL routines:ssl3_get_record:http request",
        )
    } else if first.starts_with(b"CONNE") {
        (
            "ERR_SSL_HTTPS_PROXY_REQUEST",
            "error:0A00009B:SSL routines:ssl3_get_record:https proxy request",
        )
    } else {
        (
            "ERR_SSL_WRONG_VERSION_NUMBER",
            "error:0A00010B:SSL routines:ssl3_get_record:wrong version number",
        )
    };
    Refusal {
        alert: None,
        code,
        message,
    }
}

/// An SSLv2-format ClientHello (length with the high bit set, then message type 1):
/// OpenSSL parses it as such rather than calling it junk, so it is rustls's to refuse.
fn is_sslv2_hello(first: &[u8]) -> bool {
    first[0] & 0x80 != 0 && first[2] == CLIENT_HELLO
}

/// A ClientHello below TLS 1.2: the protocol_version alert, in a record of the
/// client's own version, as OpenSSL sends it.
fn below_tls_1_2(first: &[u8]) -> Option<Refusal> {
    // Record: type 22 (handshake), version (2), length (2); handshake: type 1
    // (ClientHello), length (3), then the hello's legacy_version (2).
    if first.len() < 11 || first[0] != HANDSHAKE || first[5] != CLIENT_HELLO {
        return None;
    }
    let (major, minor) = (first[9], first[10]);
    if major != 3 || minor >= 3 {
        return None;
    }
    Some(Refusal {
        alert: Some([21, major, minor, 0, 2, FATAL, PROTOCOL_VERSION]),
        code: "ERR_SSL_UNSUPPORTED_PROTOCOL",
        message:
            "error:0A000102:SSL routines:tls_early_post_process_client_hello:unsupported protocol",
    })
}

#[cfg(test)]
mod tests {
    use super::refusal;

    fn hello(version: [u8; 2]) -> Vec<u8> {
        vec![22, 3, 1, 0, 60, 1, 0, 0, 56, version[0], version[1], 0, 0]
    }

    #[test]
    fn clients_below_tls_1_2_get_protocol_version() {
        let alert = |first: &[u8]| refusal(first, true).and_then(|r| r.alert);
        assert_eq!(alert(&hello([3, 2])), Some([21, 3, 2, 0, 2, 2, 70]));
        assert_eq!(alert(&hello([3, 1])), Some([21, 3, 1, 0, 2, 2, 70]));
        assert_eq!(
            refusal(&hello([3, 1]), true).unwrap().code,
            "ERR_SSL_UNSUPPORTED_PROTOCOL"
        );
        // A client does not judge the server's version this way.
        assert_eq!(refusal(&hello([3, 1]), false), None);
    }

    #[test]
    fn tls_1_2_and_1_3_hellos_and_short_reads_go_to_rustls() {
        assert_eq!(refusal(&hello([3, 3]), true), None);
        assert_eq!(refusal(&hello([3, 2])[..10], true), None);
        assert_eq!(refusal(b"GET", true), None);
        // Some TLS record, even a wrong one: rustls judges it (and alerts, as OpenSSL).
        assert_eq!(refusal(&[23, 3, 3, 0, 1, 0], true), None);
        // An SSLv2-format hello.
        assert_eq!(refusal(&[0x80, 0x2e, 1, 0, 2], true), None);
    }

    #[test]
    fn bytes_that_are_no_tls_fail_without_an_alert_as_openssl_names_them() {
        let code = |first: &[u8], server| {
            let refused = refusal(first, server).unwrap();
            assert_eq!(refused.alert, None);
            refused.code
        };
        assert_eq!(code(b"blah\nblah\n", true), "ERR_SSL_WRONG_VERSION_NUMBER");
        assert_eq!(code(b"GET / HTTP/1.1\r\n", true), "ERR_SSL_HTTP_REQUEST");
        assert_eq!(code(b"POST /", true), "ERR_SSL_HTTP_REQUEST");
        assert_eq!(code(b"HEAD /", true), "ERR_SSL_HTTP_REQUEST");
        assert_eq!(code(b"PUT /x", true), "ERR_SSL_HTTP_REQUEST");
        assert_eq!(code(b"CONNECT h:443", true), "ERR_SSL_HTTPS_PROXY_REQUEST");
        assert_eq!(
            code(&[22, 9, 9, 0, 5, 1], true),
            "ERR_SSL_WRONG_VERSION_NUMBER"
        );
        // A client reading a plaintext answer.
        assert_eq!(
            code(b"I was waiting", false),
            "ERR_SSL_WRONG_VERSION_NUMBER"
        );
        assert_eq!(code(b"HTTP/1.1 400", false), "ERR_SSL_WRONG_VERSION_NUMBER");
    }
}

//! Unit tests of the read step (`StreamCore::read_step`).
use super::*;
use crate::core::registry::Registry;

/// A sink that drops events: these tests look at what a step returns.
#[derive(Default)]
struct NoSink(Registry);

impl EventSink for NoSink {
    fn send(&self, _: Event) {}
    fn registry(&self) -> &Registry {
        &self.0
    }
}

/// A connected, non-blocking Unix socket pair: our end polled, the peer's std.
fn pair() -> (Io, std::os::unix::net::UnixStream) {
    let (ours, peer) = std::os::unix::net::UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    (Io::new(ours.into(), Kind::Unix), peer)
}

#[test]
fn read_step_copies_small_reads_and_hands_large_ones_over_in_blocks() {
    use std::io::Write;
    let core = StreamCore::new(Arc::new(NoSink::default()));
    let (io, mut peer) = pair();
    let mut reader = Reader::default();
    assert!(matches!(core.read_step(&io, &mut reader), ReadStep::Empty));
    peer.write_all(b"hello").unwrap();
    match core.read_step(&io, &mut reader) {
        ReadStep::Data(chunk) => assert_eq!(&chunk[..], b"hello"),
        _ => panic!("expected data"),
    }
    assert!(!reader.bulk, "a small read keeps the scratch buffer");
    peer.write_all(&vec![7; BULK_READ]).unwrap();
    match core.read_step(&io, &mut reader) {
        ReadStep::Data(chunk) => assert_eq!(chunk.len(), BULK_READ),
        _ => panic!("expected data"),
    }
    assert!(
        reader.bulk,
        "a large read makes the next one a block of its own"
    );
    assert_eq!(core.undelivered.load(Ordering::Acquire), 5 + BULK_READ);
    drop(peer);
    assert!(matches!(core.read_step(&io, &mut reader), ReadStep::Eof));
}

#[test]
fn a_threaded_bulk_read_after_a_full_one_still_offers_read_size() {
    use std::io::Write;
    let core = StreamCore::new(Arc::new(NoSink::default()));
    let (io, mut peer) = pair();
    let mut reader = Reader {
        bulk: true,
        ..Reader::default()
    };
    peer.write_all(&vec![1; READ_SIZE]).unwrap();
    match core.read_step(&io, &mut reader) {
        ReadStep::Data(chunk) => assert_eq!(chunk.len(), READ_SIZE),
        _ => panic!("expected data"),
    }
    assert!(
        reader.big && !reader.drained(),
        "a full read: more may wait"
    );
    // More than one 64 KiB read's worth, as much as the pair holds.
    peer.set_nonblocking(true).unwrap();
    let mut sent = 0;
    while sent < 3 * READ_SIZE {
        match peer.write(&vec![2; 3 * READ_SIZE - sent]) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }
    assert!(sent > 2 * READ_SIZE, "the pair took {sent} bytes");
    match core.read_step(&io, &mut reader) {
        ReadStep::Data(chunk) => {
            assert_eq!(chunk.len(), READ_SIZE, "a block of READ_SIZE, not more");
            assert!(chunk.iter().all(|&b| b == 2));
        }
        _ => panic!("expected data"),
    }
    assert!(!reader.drained(), "it filled its block: more may wait");
}

/// A self-signed certificate for `localhost` (valid for a century) and its key, DER.
const CERT: &[u8] = include_bytes!("testdata/cert.der");
const KEY: &[u8] = include_bytes!("testdata/key.der");

fn context(server: bool) -> crate::core::tls::Context {
    crate::core::tls::Context::new(crate::core::tls::Options {
        server,
        chain: if server { vec![CERT.to_vec()] } else { vec![] },
        key: server.then(|| KEY.to_vec()),
        roots: vec![CERT.to_vec()],
        alpn: vec![b"x".to_vec()],
        min_version: 12,
        max_version: 13,
        request_cert: false,
        reject_unauthorized: false,
        ticket_keys: None,
    })
    .unwrap()
}

/// One read step; the socket pair carries every write at once, so each step sees
/// everything the other side sent before it.
fn step(core: &StreamCore) -> ReadStep {
    let io = core.io();
    core.read_step(io.as_ref().unwrap(), &mut Reader::default())
}

fn data(step: ReadStep) -> Vec<u8> {
    match step {
        ReadStep::Data(chunk) => chunk.to_vec(),
        _ => panic!("expected a Data step"),
    }
}

#[test]
fn tls_handshake_data_and_close_notify_through_the_read_step() {
    let (client_io, server_io) = std::os::unix::net::UnixStream::pair().unwrap();
    client_io.set_nonblocking(true).unwrap();
    server_io.set_nonblocking(true).unwrap();
    let client = StreamCore::new(Arc::new(NoSink::default()));
    let server = StreamCore::new(Arc::new(NoSink::default()));
    client.attach(Io::new(client_io.into(), Kind::Unix));
    server.attach(Io::new(server_io.into(), Kind::Unix));
    server.start_tls(&context(true), None).unwrap();
    client
        .start_tls(&context(false), Some("localhost"))
        .unwrap();
    // Written before the handshake: waits in the session, leaves once it is done.
    assert_eq!(client.write(&[b"early "]), DONE);
    // The server answers the hello; the client's step completes its handshake.
    assert!(matches!(step(&server), ReadStep::Empty));
    assert_eq!(
        data(step(&client)),
        b"",
        "the handshake's end, with no data"
    );
    let info = client.tls_info().unwrap();
    assert_eq!(info.protocol, "TLSv1.3");
    assert_eq!(info.alpn.as_deref(), Some(&b"x"[..]));
    assert_eq!(
        info.verdict, None,
        "the peer sent a certificate given as ca"
    );
    // The client's Finished came with the data written early: one step hands it over.
    assert_eq!(data(step(&server)), b"early ");
    assert_eq!(
        server.tls_info().unwrap().servername.as_deref(),
        Some("localhost")
    );
    assert_eq!(client.write(&[b"hello"]), DONE);
    assert_eq!(data(step(&server)), b"hello");
    // end(): close_notify, then FIN; the peer's read step says EOF.
    assert_eq!(client.shutdown(), DONE);
    assert!(matches!(step(&server), ReadStep::Eof));
}

#[test]
fn tls_garbage_fails_the_read_step_with_openssls_code() {
    use std::io::Write;
    let (mut peer, ours) = std::os::unix::net::UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    let server = StreamCore::new(Arc::new(NoSink::default()));
    server.attach(Io::new(ours.into(), Kind::Unix));
    server.start_tls(&context(true), None).unwrap();
    peer.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let io = server.io();
    let step = server.read_step(io.as_ref().unwrap(), &mut Reader::default());
    assert!(matches!(step, ReadStep::Error(TLS_FAILED)));
    let (code, _) = server.tls_error().unwrap();
    assert_eq!(code, "ERR_SSL_HTTP_REQUEST");
}

/// Every connection holds one `StreamCore` (issue #18, memory per connection): what
/// only a splice uses is made when a splice is, so a plain stream's `Arc` is a 256-B
/// malloc chunk (16 B of counts + the core + 8, rounded up to 16), not 304.
#[test]
fn a_stream_core_leaves_what_only_a_splice_uses_out_of_line() {
    assert!(
        std::mem::size_of::<StreamCore>() <= 232,
        "StreamCore is {} B",
        std::mem::size_of::<StreamCore>()
    );
    let core = StreamCore::new(Arc::new(NoSink::default()));
    assert_eq!((core.spliced_read(), core.spliced_written()), (0, 0));
    core.splice_stop();
    assert!(
        !core.splice.was_used(),
        "stopping a splice never armed made its state"
    );
}

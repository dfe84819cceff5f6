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

//! What the native side reports to JS, and where a stream or listener sends it.

use std::sync::Arc;

use bytes::Bytes;

use crate::core::registry::Registry;
use crate::core::stream::StreamCore;

/// Something that happened on the native side, for JS to act on.
pub enum Event {
    /// Bytes read from a stream. Holds the stream so delivery can release its read budget.
    Data(Arc<StreamCore>, Bytes),
    /// The peer sent FIN.
    Eof(u32),
    ReadError(u32, i32),
    /// `n` write requests of a stream completed, in order.
    Written(u32, u32),
    WriteError(u32, i32),
    /// A deferred shutdown (FIN after queued writes) finished with a status.
    Shutdown(u32, i32),
    /// A connect attempt finished with a status (0 on success).
    Connected(u32, i32),
    /// A listener accepted a stream.
    Accepted(u32, Arc<StreamCore>),
    AcceptError(u32, i32),
    /// A stream's task stopped reading for a splice handshake (generation); see
    /// `stream::splice`.
    SpliceReady(u32, u32),
}

/// Where a stream's events go from a runtime thread: its environment's channel
/// (`driver::threaded::Channel`), which wakes the JS thread.
pub trait EventSink: Send + Sync {
    fn send(&self, event: Event);
    /// The handles of the environment, closed at its teardown.
    fn registry(&self) -> &Registry;
}

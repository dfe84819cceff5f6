//! A stream's write queue: what the kernel did not take at once, in order, with the
//! FIN that follows it and the status of a failed write.

use std::collections::VecDeque;

use bytes::{Buf, Bytes};

/// A slice of a write request still to be written; `last` marks a request's final part.
pub(super) struct Chunk {
    pub data: Bytes,
    pub last: bool,
}

#[derive(Default)]
pub(super) struct WriteQueue {
    pub pending: VecDeque<Chunk>,
    pub queued_bytes: usize,
    /// A FIN to send once `pending` is empty.
    pub shutdown: bool,
    /// `shutdown` was called: nothing may be added behind the FIN.
    pub ended: bool,
    /// The status of the first failed write; later writes fail with it.
    pub failed: i32,
}

impl WriteQueue {
    /// A splice may add to this queue: empty, not ending, not failed.
    pub fn accepts_splice(&self) -> bool {
        self.pending.is_empty() && !self.shutdown && !self.ended && self.failed == 0
    }

    /// Queues the unwritten rest of a request of `chunks`, of which the kernel took
    /// `written` bytes. `request`: a JS write, which completes with its last part
    /// (false for what TLS sends by itself, which completes nothing).
    pub fn push_rest(&mut self, chunks: &[&[u8]], written: usize, request: bool) {
        let mut skip = written;
        let last_index = chunks.len() - 1;
        for (index, chunk) in chunks.iter().enumerate() {
            if skip >= chunk.len() {
                skip -= chunk.len();
                if index == last_index {
                    // Only reachable for empty trailing chunks: mark completion anyway.
                    self.pending.push_back(Chunk {
                        data: Bytes::new(),
                        last: request,
                    });
                }
                continue;
            }
            let rest = &chunk[skip..];
            skip = 0;
            self.queued_bytes += rest.len();
            self.pending.push_back(Chunk {
                data: Bytes::copy_from_slice(rest),
                last: request && index == last_index,
            });
        }
    }

    /// Queues the unwritten rest of a one-chunk request whose memory `data` holds (no
    /// copy), of which the kernel took `written` bytes.
    pub fn push_held(&mut self, mut data: Bytes, written: usize) {
        data.advance(written);
        self.queued_bytes += data.len();
        self.pending.push_back(Chunk { data, last: true });
    }

    /// Drops `written` bytes from the front; returns how many requests completed.
    pub fn advance(&mut self, mut written: usize) -> u32 {
        let mut completed = 0;
        self.queued_bytes -= written;
        while let Some(front) = self.pending.front_mut() {
            if written < front.data.len() {
                front.data.advance(written);
                break;
            }
            written -= front.data.len();
            if front.last {
                completed += 1;
            }
            self.pending.pop_front();
        }
        completed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue_of(parts: &[(&'static [u8], bool)]) -> WriteQueue {
        let mut queue = WriteQueue::default();
        for &(data, last) in parts {
            queue.queued_bytes += data.len();
            queue.pending.push_back(Chunk {
                data: Bytes::from_static(data),
                last,
            });
        }
        queue
    }

    #[test]
    fn advance_completes_a_request_only_with_its_last_part() {
        // Request 1 is two chunks (a cork), request 2 one.
        let mut queue = queue_of(&[(b"ab", false), (b"cd", true), (b"ef", true)]);
        assert_eq!(queue.advance(3), 0, "half of request 1's second chunk");
        assert_eq!(queue.queued_bytes, 3);
        assert_eq!(&queue.pending[0].data[..], b"d");
        assert_eq!(queue.advance(2), 1, "request 1 done, request 2 half");
        assert_eq!(queue.advance(1), 1);
        assert!(queue.pending.is_empty());
        assert_eq!(queue.queued_bytes, 0);
    }

    #[test]
    fn advance_counts_an_empty_trailing_part() {
        let mut queue = queue_of(&[(b"xy", false), (b"", true)]);
        assert_eq!(queue.advance(2), 1);
        assert!(queue.pending.is_empty());
    }

    #[test]
    fn push_rest_queues_what_the_kernel_left() {
        let mut queue = WriteQueue::default();
        queue.push_rest(&[b"abc", b"de"], 4, true);
        assert_eq!(queue.queued_bytes, 1);
        assert_eq!(&queue.pending[0].data[..], b"e");
        assert!(queue.pending[0].last);
    }

    #[test]
    fn push_held_queues_the_rest_without_a_copy() {
        let mut queue = WriteQueue::default();
        let held = Bytes::from_static(b"abcdef");
        queue.push_held(held.clone(), 4);
        assert_eq!(queue.queued_bytes, 2);
        assert_eq!(&queue.pending[0].data[..], b"ef");
        assert!(queue.pending[0].last);
        assert_eq!(
            queue.pending[0].data.as_ptr(),
            held[4..].as_ptr(),
            "the same memory"
        );
        assert_eq!(queue.advance(2), 1);
    }

    #[test]
    fn a_splice_may_only_join_an_idle_queue() {
        assert!(WriteQueue::default().accepts_splice());
        assert!(!queue_of(&[(b"a", true)]).accepts_splice());
        let ended = WriteQueue {
            ended: true,
            ..WriteQueue::default()
        };
        assert!(!ended.accepts_splice());
    }
}

//! The yes/no state of a polled stream's `Watch`, one bit each in one byte: with nine
//! `Cell<bool>`s a `Watch` was 32 B and its `Rc` a 64-B malloc chunk per connection;
//! with this it is 24 B and a 48-B chunk (issue #18, memory per connection).

use std::cell::Cell;

/// One named bit of [`Flags`].
#[derive(Clone, Copy)]
pub(super) struct Flag(u8);

/// JS reads (`readStart`).
pub(super) const READING: Flag = Flag(1);
/// Writes are queued, to be flushed once the kernel takes them.
pub(super) const WRITING: Flag = Flag(1 << 1);
/// The kernel said readable, and no read has drained the socket since.
pub(super) const READABLE: Flag = Flag(1 << 2);
/// The kernel said writable, and no write has found it full since.
pub(super) const WRITABLE: Flag = Flag(1 << 3);
/// The peer's FIN, a hang-up or an error was seen: a read that did not fill the
/// buffer no longer proves the socket drained (the read that reports it is due).
pub(super) const CLOSED: Flag = Flag(1 << 4);
/// On the reactor's ready list.
pub(super) const QUEUED: Flag = Flag(1 << 5);
/// A splice holds reads (handshake under way, or its destination is full); it lets
/// them go again through `poke_reads`.
pub(super) const HELD: Flag = Flag(1 << 6);
/// A connect is under way: the first edge (writable, an error, a hang-up) reports it.
pub(super) const CONNECTING: Flag = Flag(1 << 7);

/// A `Watch`'s flags, each read and set on its own (JS thread only).
#[derive(Default)]
pub(super) struct Flags(Cell<u8>);

impl Flags {
    pub(super) fn get(&self, flag: Flag) -> bool {
        self.0.get() & flag.0 != 0
    }

    pub(super) fn set(&self, flag: Flag, on: bool) {
        let bits = self.0.get();
        self.0.set(if on { bits | flag.0 } else { bits & !flag.0 });
    }

    /// Sets `flag` to `on`; whether it was set before.
    pub(super) fn replace(&self, flag: Flag, on: bool) -> bool {
        let was = self.get(flag);
        self.set(flag, on);
        was
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_flag_is_set_and_cleared_alone() {
        let all = [
            READING, WRITING, READABLE, WRITABLE, CLOSED, QUEUED, HELD, CONNECTING,
        ];
        let flags = Flags::default();
        for (i, &flag) in all.iter().enumerate() {
            assert!(!flags.replace(flag, true));
            assert!(all[..=i].iter().all(|&f| flags.get(f)));
            assert!(all[i + 1..].iter().all(|&f| !flags.get(f)));
        }
        flags.set(QUEUED, false);
        assert!(!flags.get(QUEUED) && flags.get(HELD) && flags.get(CLOSED));
    }

    #[test]
    fn a_watch_fits_a_48_byte_chunk_in_its_rc() {
        assert!(std::mem::size_of::<crate::driver::in_loop::Watch>() <= 24);
    }
}

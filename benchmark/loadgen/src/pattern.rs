//! Deterministic byte pattern: byte at stream offset `o` is `o % 251`. The period is
//! prime so it never lines up with chunk sizes; a lost, duplicated or reordered
//! chunk therefore always shows up as a mismatch.

pub const PERIOD: usize = 251;

pub struct Pattern {
    buf: Vec<u8>,
    max: usize,
}

impl Pattern {
    /// A pattern that can hand out slices up to `max` bytes long at any offset.
    pub fn new(max: usize) -> Pattern {
        let buf = (0..max + PERIOD).map(|i| (i % PERIOD) as u8).collect();
        Pattern { buf, max }
    }

    /// The `len` (<= max) pattern bytes starting at stream offset `offset`.
    pub fn at(&self, offset: u64, len: usize) -> &[u8] {
        let start = (offset % PERIOD as u64) as usize;
        &self.buf[start..start + len]
    }

    /// Checks that `data` equals the pattern at `offset`; explains the first difference.
    pub fn check(&self, offset: u64, data: &[u8]) -> Result<(), String> {
        let mut done = 0;
        while done < data.len() {
            let n = (data.len() - done).min(self.max);
            let want = self.at(offset + done as u64, n);
            let got = &data[done..done + n];
            if want != got {
                let i = want.iter().zip(got).position(|(a, b)| a != b).unwrap_or(0);
                return Err(format!(
                    "echo mismatch at stream offset {}: expected byte {}, got {}",
                    offset + (done + i) as u64,
                    want[i],
                    got[i]
                ));
            }
            done += n;
        }
        Ok(())
    }
}

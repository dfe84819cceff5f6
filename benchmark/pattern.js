'use strict';
// Same deterministic pattern as loadgen/src/pattern.rs: the byte at stream
// offset o is o % 251 (a prime, so it never lines up with chunk sizes and any
// lost, duplicated or reordered chunk shows up as a mismatch).
const PERIOD = 251;

class Pattern {
  constructor(max) {
    this.max = max;
    this.buf = Buffer.alloc(max + PERIOD);
    for (let i = 0; i < this.buf.length; i++) this.buf[i] = i % PERIOD;
  }

  // The len (<= max) pattern bytes starting at stream offset `offset`.
  at(offset, len) {
    const s = offset % PERIOD;
    return this.buf.subarray(s, s + len);
  }

  // Returns null if `data` is the pattern at `offset`, else a description.
  check(offset, data) {
    for (let done = 0; done < data.length; done += this.max) {
      const n = Math.min(data.length - done, this.max);
      const s = (offset + done) % PERIOD;
      if (this.buf.compare(data, done, done + n, s, s + n) !== 0) {
        let i = 0;
        while (data[done + i] === this.buf[s + i]) i++;
        return `echo mismatch at stream offset ${offset + done + i}: expected byte ${this.buf[s + i]}, got ${data[done + i]}`;
      }
    }
    return null;
  }
}

module.exports = { Pattern };

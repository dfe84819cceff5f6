'use strict';
// Bulk reads: every 'data' chunk is a Buffer of its own that later reads never write
// into, whatever size the reads were (full 64 KiB reads, partial ones, small ones),
// while the application keeps every chunk until the end. Under the loop driver a
// large read lands in a Buffer Node allocated and is handed over as it is; a read
// that is copied out leaves that memory to be read into again, which must never be
// memory a chunk already given to JS still uses.
const { test } = require('node:test');
const assert = require('node:assert');
const { implList } = require('./helpers/harness');

const TOTAL = 4 * 1024 * 1024;
const WAIT_MS = 30_000;

// Bytes that differ from one position to the next, so that an overwritten chunk shows.
function pattern(len) {
  const buf = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) buf[i] = (i * 7 + (i >> 11)) & 0xff;
  return buf;
}

// The server writes the payload in uneven pieces; the client keeps every chunk,
// pausing now and then so that reads find more or less in the kernel.
function transfer(mod, payload) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bulk transfer timed out')), WAIT_MS);
    const server = mod.createServer((s) => {
      const sizes = [65536, 50000, 1000, 40000, 70000, 17000];
      let off = 0;
      for (let k = 0; off < payload.length; k++) {
        const n = sizes[k % sizes.length];
        s.write(payload.subarray(off, off + n));
        off += n;
      }
      s.end();
    });
    server.listen(0, '127.0.0.1', () => {
      const chunks = [];
      const c = mod.createConnection({ port: server.address().port, host: '127.0.0.1' });
      c.on('error', reject);
      c.on('data', (d) => {
        chunks.push(d);
        if (chunks.length % 7 === 0) {
          c.pause();
          setImmediate(() => c.resume());
        }
      });
      c.on('end', () => {
        clearTimeout(timer);
        server.close();
        resolve(chunks);
      });
    });
  });
}

// No two chunks share bytes of memory.
function assertDisjoint(chunks) {
  const byBuffer = new Map();
  for (const c of chunks) {
    const list = byBuffer.get(c.buffer) ?? [];
    list.push([c.byteOffset, c.byteOffset + c.length]);
    byBuffer.set(c.buffer, list);
  }
  for (const list of byBuffer.values()) {
    list.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < list.length; i++) assert.ok(list[i][0] >= list[i - 1][1], 'two chunks share memory');
  }
}

for (const [name, mod] of implList()) {
  test(`${name}: kept 'data' chunks of a bulk transfer stay as they were read`, async () => {
    const payload = pattern(TOTAL);
    const chunks = await transfer(mod, payload);
    for (const c of chunks) assert.ok(Buffer.isBuffer(c) && c.length > 0);
    assertDisjoint(chunks);
    assert.ok(Buffer.concat(chunks).equals(payload), 'the chunks kept differ from what was sent');
    assert.ok(chunks.some((c) => c.length >= 32 * 1024), 'no large read happened');
  });
}

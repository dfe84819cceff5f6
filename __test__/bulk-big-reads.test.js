'use strict';
// Bulk reads when the kernel holds much more than 64 KiB (a reader that paused while
// the peer kept writing): the same bytes in the same order as with net, every chunk
// a Buffer of its own that pins at most twice its size. Under the loop driver, once a
// read found 64 KiB, the next offers 256 KiB (src/core/stream/js_read.rs), so the
// transfer takes fewer 'data' events than libuv's 64 KiB slices would need; a chunk
// that fills less than half of such a read is copied out (src/napi/read_memory.rs).
const { test } = require('node:test');
const assert = require('node:assert');
const { implList, DRIVER } = require('./helpers/harness');

const TOTAL = 8 * 1024 * 1024;
const WAIT_MS = 30_000;
const OWN_BUFFER_BYTES = 16 * 1024;

function pattern(len) {
  const buf = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) buf[i] = (i * 13 + (i >> 12)) & 0xff;
  return buf;
}

// The server writes everything at once; the client holds its reads until the server's
// kernel buffer is full (its write is not flushed at once), then reads all, keeping
// every chunk.
function transfer(mod, payload) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bulk transfer timed out')), WAIT_MS);
    let client;
    const server = mod.createServer((s) => {
      s.write(payload);
      s.end();
      // Let the kernel's buffers fill up before the client reads.
      setTimeout(() => client.resume(), 50);
    });
    server.listen(0, '127.0.0.1', () => {
      const chunks = [];
      client = mod.createConnection({ port: server.address().port, host: '127.0.0.1' });
      client.pause();
      client.on('error', reject);
      client.on('data', (d) => chunks.push(d));
      client.on('end', () => {
        clearTimeout(timer);
        server.close();
        resolve(chunks);
      });
    });
  });
}

const results = {};
for (const [name, mod] of implList()) {
  test(`${name}: a bulk read of a full kernel buffer keeps bytes, order and chunk memory`, async () => {
    const payload = pattern(TOTAL);
    const chunks = await transfer(mod, payload);
    results[name] = chunks;
    assert.ok(Buffer.concat(chunks).equals(payload), 'the chunks differ from what was sent');
    for (const c of chunks) {
      assert.ok(Buffer.isBuffer(c) && c.length > 0);
      if (c.length >= OWN_BUFFER_BYTES) {
        assert.ok(c.buffer.byteLength <= 2 * c.length, `a ${c.length} B chunk pins ${c.buffer.byteLength} B`);
      }
    }
    const buffers = new Set(chunks.filter((c) => c.length >= OWN_BUFFER_BYTES).map((c) => c.buffer));
    assert.equal(buffers.size, chunks.filter((c) => c.length >= OWN_BUFFER_BYTES).length, 'two large chunks share memory');
  });
}

test('loop driver: reads of a full kernel buffer are larger than 64 KiB, so fewer events than net', { skip: DRIVER !== 'loop' }, () => {
  const net = results.net;
  const rsnet = results.rsnet;
  assert.ok(net && rsnet, 'both transfers ran');
  const largest = Math.max(...rsnet.map((c) => c.length));
  assert.ok(largest > 64 * 1024, `largest chunk ${largest} B`);
  assert.ok(rsnet.length < net.length, `rsnet ${rsnet.length} chunks, net ${net.length}`);
});

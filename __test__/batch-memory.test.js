'use strict';
// Event batches reuse native memory (src/napi/batch.rs): the records of every batch
// are written into one ArrayBuffer, handed to JS only when it is new, and small data
// chunks are views of shared 8 KiB blocks. Losing either would cost a Buffer made in
// native code per batch (about 3,500 instructions each: Node's Buffer::New) without
// changing any behaviour a parity test sees, so this test counts what dispatch gets.
const { test } = require('node:test');
const assert = require('node:assert/strict');

// Wrap the addon's init before lib/binding.js hands it its dispatch function.
const native = require('../lib/native');
const seen = { batches: 0, recordsHanded: 0, blocks: new Set(), blockSizes: new Set() };
const init = native.init;
// The records, whose header record starts with the batch's size.
let header = new Int32Array(0);
native.init = (dispatch) => init((records, objects, block) => {
  if (records !== undefined) {
    seen.recordsHanded++;
    header = new Int32Array(records);
  }
  if (header[0] > 0) seen.batches++;
  if (block !== undefined) {
    seen.blocks.add(block);
    seen.blockSizes.add(block.byteLength);
  }
  return dispatch(records, objects, block);
});

const { impls: { rsnet } } = require('./helpers/harness');

const ROUND_TRIPS = 500;
const PING = Buffer.alloc(64, 'p');
const BLOCK_BYTES = 8 * 1024;

function pingpong(port) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const client = rsnet.connect(port, '127.0.0.1', () => client.write(PING));
    let left = ROUND_TRIPS;
    let got = 0;
    client.on('error', reject);
    client.on('data', (d) => {
      chunks.push(d);
      got += d.length;
      if (got < PING.length) return;
      got = 0;
      if (--left === 0) client.end();
      else client.write(PING);
    });
    client.on('close', () => resolve(chunks));
  });
}

test('batches reuse one records ArrayBuffer, and small chunks share 8 KiB data blocks', async () => {
  const server = rsnet.createServer((s) => s.pipe(s));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const chunks = await pingpong(server.address().port);
  await new Promise((resolve) => server.close(resolve));

  // Both sides read 64 B per round trip, a batch each at least.
  assert.ok(seen.batches >= ROUND_TRIPS, `${seen.batches} batches`);
  // Handed once (the first batch); a batch of more records than it holds would hand a
  // larger one, which 64 B round trips never need.
  assert.equal(seen.recordsHanded, 1);
  const bytes = 2 * ROUND_TRIPS * PING.length;
  assert.ok(seen.blocks.size <= Math.ceil(bytes / BLOCK_BYTES) + 2, `${seen.blocks.size} data blocks for ${bytes} bytes`);
  assert.deepEqual([...seen.blockSizes], [BLOCK_BYTES]);
  // What the application got: Buffers over those blocks, each a view of its own range.
  for (const chunk of chunks) {
    assert.ok(Buffer.isBuffer(chunk));
    assert.equal(chunk.buffer.byteLength, BLOCK_BYTES);
    assert.deepEqual(chunk, PING.subarray(0, chunk.length));
  }
});

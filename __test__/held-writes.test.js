'use strict';
// Large writes the kernel cannot take at once (the peer is not reading): under the
// loop driver their rest is queued as the written Buffer itself, held by a reference
// until written, not a copy (src/napi/socket/held_write.rs). The writer keeps none of
// its Buffers, and the test makes V8 collect and reallocate memory while they wait:
// the peer must still get every byte, in order, and every write's callback must run
// in order, as with net.
const { test } = require('node:test');
const assert = require('node:assert');
const v8 = require('node:v8');
const vm = require('node:vm');
const { implList } = require('./helpers/harness');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const WRITES = 256; // 16 MiB: more than loopback's socket buffers hold
const SIZE = 64 * 1024;
const WAIT_MS = 30_000;

function chunk(index) {
  const buf = Buffer.allocUnsafe(SIZE);
  for (let i = 0; i < SIZE; i++) buf[i] = (index * 31 + i * 7 + (i >> 9)) & 0xff;
  return buf;
}

// The client writes WRITES fresh Buffers to a server that does not read; once every
// write is in (most queued), the garbage collector runs and fresh memory is filled
// over, then the server reads it all.
function transfer(mod) {
  return new Promise((resolve, reject) => {
    const order = [];
    const sockets = [];
    // The server's side of the connection; under the threaded driver the client's
    // 'connect' may come before the server's 'connection'.
    let accepted;
    const serverSide = new Promise((resolve) => { accepted = resolve; });
    const server = mod.createServer((s) => {
      sockets.push(s);
      s.pause();
      accepted(s);
    });
    // A transfer that stalls fails, and takes its sockets and server with it, so
    // that the test file still exits.
    const timer = setTimeout(() => {
      for (const s of sockets) s.destroy();
      server.close();
      reject(new Error('transfer timed out'));
    }, WAIT_MS);
    server.listen(0, '127.0.0.1', () => {
      const client = mod.createConnection({ port: server.address().port, host: '127.0.0.1' }, async () => {
        sockets.push(client);
        const serverSocket = await serverSide;
        for (let i = 0; i < WRITES; i++) client.write(chunk(i), () => order.push(i));
        const queued = client.writableLength;
        client.end();
        gc();
        const clobber = [];
        for (let i = 0; i < 64; i++) clobber.push(Buffer.alloc(SIZE, 0xee));
        gc();
        const got = [];
        serverSocket.on('data', (d) => got.push(d));
        serverSocket.on('end', () => {
          clearTimeout(timer);
          server.close();
          resolve({ data: Buffer.concat(got), order, queued, clobbered: clobber.length });
        });
        serverSocket.resume();
      });
      client.on('error', reject);
    });
  });
}

for (const [name, mod] of implList()) {
  test(`${name}: large queued writes arrive whole and in order after the writer dropped them`, async () => {
    const { data, order, queued } = await transfer(mod);
    assert.ok(queued > SIZE, `writes were queued (the peer was not reading): ${queued} B`);
    const expected = Buffer.concat(Array.from({ length: WRITES }, (_, i) => chunk(i)));
    assert.equal(data.length, expected.length);
    assert.ok(data.equals(expected), 'the bytes differ from what was written');
    assert.deepEqual(order, Array.from({ length: WRITES }, (_, i) => i), 'write callbacks in order');
  });
}

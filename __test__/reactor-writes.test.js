'use strict';
// A write the kernel did not take whole is not proof that the kernel is full: one
// writev offers it a bounded number of buffers (64), so a corked write of many small
// buffers leaves some queued while the socket is still writable. The loop driver's
// reactor, told of writability once per edge, must flush the rest without waiting for
// an edge that will not come. Same scenario on net and rsnet, same bytes received.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { DRIVER, impls } = require('./helpers/harness');

const CHUNKS = 200;
const SIZE = 100;

function corkedWrites(mod) {
  return new Promise((resolve, reject) => {
    const server = mod.createServer((s) => {
      let got = 0;
      s.on('data', (d) => (got += d.length));
      s.on('end', () => {
        s.end();
        server.close();
        resolve(got);
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const c = mod.connect(server.address().port, '127.0.0.1', () => {
        c.cork();
        for (let i = 0; i < CHUNKS; i++) c.write(Buffer.alloc(SIZE, i));
        c.uncork();
        c.end();
      });
      c.on('error', reject);
      c.resume();
    });
    const timer = setTimeout(() => reject(new Error('the queued writes were never flushed')), 10_000);
    timer.unref();
  });
}

test(`[${DRIVER}] a corked write of ${CHUNKS} buffers (more than one writev takes) all arrives`, { timeout: 30_000 }, async () => {
  const viaNet = await corkedWrites(impls.net);
  const viaRsnet = await corkedWrites(impls.rsnet);
  assert.equal(viaNet, CHUNKS * SIZE);
  assert.equal(viaRsnet, viaNet);
});

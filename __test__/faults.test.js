'use strict';
// Faults a real network produces: a peer that resets mid-transfer, a process that
// exits right after writing. Nothing may be lost, and errors must surface where
// built-in `net` reports them.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const P = require('./helpers/parity');

test("a peer reset during a large write: 'error' is read ECONNRESET, then the write callback succeeds", { timeout: 60_000 }, async () => {
  // libuv reads before it writes on a ready socket, and stops writing at a short
  // write until the socket is writable again; so the reset reaches the read side,
  // and the cancelled write completes without error in the close phase.
  const results = await P.runBoth(async (mod, label, scope) => {
    const seen = [];
    const server = await scope.server(mod, { onConnection: (s) => s.once('data', () => s.resetAndDestroy()) });
    const client = scope.track(mod.connect(server.address().port, '127.0.0.1'));
    client.on('connect', () => {
      client.write(Buffer.alloc(64 * 1024 * 1024, 1), (err) => seen.push(`write callback: ${err ? `${err.syscall} ${err.code}` : 'ok'}`));
    });
    client.on('error', (err) => seen.push(`error: ${err.syscall} ${err.code}`));
    await P.once(client, 'close', { rejectOnError: false, timeoutMs: 30_000 });
    seen.push('close');
    return seen;
  });
  P.assertParity(results, ['error: read ECONNRESET', 'write callback: ok', 'close']);
});

// Runs the exit-writes fixture `count` times at once (contention makes a queued write
// likely: the runtime thread has not yet seen the fresh fd writable) and returns what
// each child wrote to its stderr pipe.
function exitWrites(label, count) {
  const fixture = path.join(__dirname, 'fixtures', 'exit-writes.js');
  return Promise.all(Array.from({ length: count }, () => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, label], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => (text += chunk));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${label}: child hung`)); }, 20_000);
    child.on('close', (code) => { clearTimeout(timer); resolve(`${code}:${text}`); });
  })));
}

test('writes the kernel had room for are not lost when the process exits right after them', { timeout: 120_000 }, async () => {
  const expected = '0:first\nsecond\nthird\nfourth\n';
  for (const label of ['net', 'rsnet']) {
    for (let round = 0; round < 4; round++) {
      const outputs = await exitWrites(label, 5);
      for (const output of outputs) assert.equal(output, expected, `${label}, round ${round}`);
    }
  }
});

'use strict';
// Node's HTTP parser handed an rsnet socket's handle (parser.consume(handle), as Node's
// http does with its own sockets, and with rsnet's under rsnet/register) reads the
// bytes through rsnet, as it reads a built-in socket's, holds them while the server
// stops reading, and gives the socket back on unconsume(). Handed to Node's native
// consume, an rsnet handle crashed the process.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');

const FIXTURE = path.join(__dirname, 'fixtures', 'parser-consume.js');
const REGISTER = path.join(__dirname, '..', 'register.js');

function record(preload, fixture = FIXTURE) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...preload, fixture], { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${preload.join(' ') || 'net'}: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

test('parser.consume(socket._handle): the same parser callbacks, then the socket reads again after unconsume()', async () => {
  const [builtin, rsnet] = await Promise.all([record([]), record(['-r', REGISTER])]);
  assert.deepEqual(builtin, {
    headers: { status: 200, headers: ['Content-Length', '5'] },
    body: 'hello', parsed: 43, current: 43, complete: 1, data: 'tail', end: true,
  }, 'TEST BUG: built-in net did not behave as expected');
  assert.deepEqual(rsnet, builtin);
});

test('an http server that stops reading under a flood of pipelined requests: every response arrives, as on net', async () => {
  const fixture = path.join(__dirname, 'fixtures', 'http-pipeline.js');
  const [builtin, rsnet] = await Promise.all([record([], fixture), record(['-r', REGISTER], fixture)]);
  assert.equal(builtin.served, 10000, 'TEST BUG: built-in net did not serve every request');
  assert.deepEqual(rsnet, builtin);
});

test("a request resumed by its 'request' handler sees the tick run before its body, as under Node's consume: paused and read from, it is not dumped", async () => {
  const fixture = path.join(__dirname, 'fixtures', 'http-pause.js');
  const [builtin, rsnet] = await Promise.all([record([], fixture), record(['-r', REGISTER], fixture)]);
  assert.deepEqual(builtin, { chunks: 1, pausedAtFinish: true, status: 200 }, 'TEST BUG: built-in net did not behave as expected');
  assert.deepEqual(rsnet, builtin);
});

'use strict';
// Node's http server over rsnet (rsnet/register) emits 'request', 'data', 'end',
// 'upgrade' and 'connect', and runs the nextTick and microtask queues between them,
// in the order it does over built-in net: the parser that consumes an rsnet handle
// (lib/parser_consume.js) runs the queues after the parser's body and header-flush
// callbacks only, as Node's native consume does. Pipelined requests, a body in the
// headers' read or in a later one, chunked bodies with trailers, more headers than the
// parser keeps, a request resumed or paused by its handler, responses given later,
// an upgrade and a CONNECT, each with the head bytes in the same read.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');

const FIXTURE = path.join(__dirname, 'fixtures', 'http-event-order.js');
const REGISTER = path.join(__dirname, '..', 'register.js');

function record(preload) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...preload, FIXTURE], { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${preload.join(' ') || 'net'}: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

const logs = Promise.all([record([]), record(['-r', REGISTER])]);

const SCENARIOS = ['pipelined', 'bodyWithHeaders', 'chunkedTrailers', 'manyHeaders', 'bodyLater',
  'resumeInHandler', 'paused', 'answeredLater', 'upgrade', 'connect'];

for (const name of SCENARIOS) {
  test(`http server events, ticks and microtasks in Node's order: ${name}`, async () => {
    const [builtin, rsnet] = await logs;
    assert.ok(builtin[name]?.length > 0, `TEST BUG: built-in net logged nothing for ${name}`);
    assert.deepEqual(rsnet[name], builtin[name]);
  });
}

test('the built-in order is the one this test means (ticks after a body callback, not after headers)', async () => {
  const [builtin] = await logs;
  assert.deepEqual(builtin.pipelined.slice(0, 9), [
    'request /a headers=2', 'tick request /a', 'data /a abc', 'tick data /a', 'micro request /a',
    'micro data /a', 'request /b headers=1', 'request /c headers=3', 'end /a',
  ]);
});

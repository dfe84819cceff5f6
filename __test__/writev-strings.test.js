'use strict';
// A corked batch of string and Buffer writes goes out as one writev: latin1 strings
// are handed to the native handle as strings (it copies their bytes itself, one byte
// per UTF-16 unit), every other encoding as a Buffer. The peer must receive the very
// bytes built-in net sends, and bytesWritten must count them the same.
const { test } = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const { load } = require('./helpers/harness');

// Units above 0xff, in latin1, keep their low byte (Buffer.from(s, 'latin1')).
const WRITES = [
  ['HTTP/1.1 200 OK\r\nX-L: caf\u00e9 \u0100\u20ac\uffff\r\n\r\n', 'latin1'],
  [Buffer.from([0, 1, 2, 255])],
  ['binary \u00ff\u0141', 'binary'],
  ['utf8 \u00e9\u20ac', 'utf8'],
  ['68656c6c6f', 'hex'],
  ['', 'latin1'],
  ['x'.repeat(70_000), 'latin1'],
];

// Sends WRITES corked from a client of `impl` to a built-in net server; resolves with
// the bytes the server read and the client's bytesWritten.
function sendCorked(impl) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${impl}: no end within 10 s`)), 10_000);
    const server = net.createServer((s) => {
      const got = [];
      s.on('data', (d) => got.push(d));
      s.on('end', () => {
        clearTimeout(timer);
        server.close();
        resolve({ bytes: Buffer.concat(got), bytesWritten: client.bytesWritten });
      });
    });
    let client;
    server.listen(0, '127.0.0.1', () => {
      client = load(impl).createConnection(server.address().port, '127.0.0.1', () => {
        client.cork();
        for (const [chunk, encoding] of WRITES) client.write(chunk, encoding);
        client.uncork();
        client.end();
      });
      client.on('error', reject);
    });
  });
}

test('corked latin1 strings and Buffers: the bytes and bytesWritten of built-in net', async () => {
  const expected = await sendCorked('net');
  const actual = await sendCorked('rsnet');
  assert.strictEqual(actual.bytes.length, expected.bytes.length);
  assert.ok(actual.bytes.equals(expected.bytes), 'rsnet sent other bytes than net');
  assert.strictEqual(actual.bytesWritten, expected.bytesWritten);
});

// Node's StreamBase writev(req, chunks, allBuffers) on the handle itself, as code that
// holds `_handle` calls it: chunks alternate with their encodings.
test('handle.writev with latin1 strings: the bytes of built-in net', async () => {
  const chunks = ['ab\u0101\u00e9', 'latin1', Buffer.from('|'), 'buffer', '\u20ac', 'utf8', 'z\u00ff', 'binary'];
  const sendRaw = (impl) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${impl}: no end within 10 s`)), 10_000);
    const server = net.createServer((s) => {
      const got = [];
      s.on('data', (d) => got.push(d));
      s.on('end', () => {
        clearTimeout(timer);
        server.close();
        resolve(Buffer.concat(got));
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const client = load(impl).createConnection(server.address().port, '127.0.0.1', () => {
        const req = { oncomplete() {} };
        const status = client._handle.writev(req, chunks, false);
        if (status !== 0) reject(new Error(`${impl}: writev returned ${status}`));
        client.end();
      });
      client.on('error', reject);
    });
  });
  const expected = await sendRaw('net');
  const actual = await sendRaw('rsnet');
  assert.deepStrictEqual([...actual], [...expected]);
});

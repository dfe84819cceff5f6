'use strict';
// new net.Socket({fd}): adopting an open fd. A child's stdin under `stdio: 'pipe'` is a
// connected Unix socketpair, and in a shell pipeline a pipe(2); the child adopts fd 0
// with either module, and both must read to the end and close alike. (fifo.test.js
// covers FIFOs in detail.)
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const builtin = require('node:net');

const FIXTURE = path.join(__dirname, 'fixtures', 'adopt-fd.js');

// Runs the fixture with `impl`; its stdin is a Unix socketpair fed 'hello fd' by this
// process, or with `shellPipe` a pipe(2) fed by `printf` in a shell pipeline.
function converse(impl, { shellPipe = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = shellPipe
      ? spawn('/bin/sh', ['-c', 'printf "hello fd" | exec "$0" "$1" "$2"', process.execPath, FIXTURE, impl],
        { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, [FIXTURE, impl], { stdio: ['pipe', 'ignore', 'pipe'] });
    let report = '';
    child.stderr.on('data', (d) => (report += d));
    if (!shellPipe) {
      child.stdin.write('hello ');
      child.stdin.end('fd');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve({ code, report: JSON.parse(report) });
      } catch {
        reject(new Error(`${impl}: child exited ${code} with ${JSON.stringify(report)}`));
      }
    });
  });
}

test('new Socket({fd}) adopts a connected Unix socket and reads it to the end', { timeout: 30_000 }, async () => {
  const net = await converse('net');
  const rsnet = await converse('rsnet');
  assert.deepEqual(net.report.events, ['end', 'close'], 'built-in net (the oracle) changed');
  assert.equal(net.report.received, 'hello fd');
  assert.equal(net.report.bytesRead, 8);
  assert.deepEqual(rsnet, net);
});

test('new Socket({fd}) adopts a pipe(2) stdin (a shell pipeline) and reads it to the end', { timeout: 30_000 }, async () => {
  const net = await converse('net', { shellPipe: true });
  const rsnet = await converse('rsnet', { shellPipe: true });
  assert.deepEqual(net.report.events, ['end', 'close'], 'built-in net (the oracle) changed');
  assert.equal(net.report.received, 'hello fd');
  assert.deepEqual(rsnet, net);
});

test('new Socket({fd}) rejects what is not a socket as Node does', { timeout: 10_000 }, () => {
  const { rsnet } = require('./helpers/harness').impls;
  const fs = require('node:fs');
  const fd = fs.openSync(__filename, 'r');
  try {
    const shape = (fn) => {
      try {
        fn();
        return 'no throw';
      } catch (err) {
        return { name: err.name, code: err.code, message: err.message };
      }
    };
    const expected = shape(() => new builtin.Socket({ fd }));
    assert.equal(expected.code, 'ERR_INVALID_FD_TYPE');
    assert.deepEqual(shape(() => new rsnet.Socket({ fd })), expected);
    assert.deepEqual(shape(() => new rsnet.Socket({ fd: -1 })), shape(() => new builtin.Socket({ fd: -1 })));
  } finally {
    fs.closeSync(fd);
  }
});

// An unconnected TCP socket fd, made with rsnet's own handle (a bound socket), dup'd
// so that each run owns a fresh one.
function unconnectedTcpFd() {
  const { SocketHandle, dupFd } = require('../lib/binding');
  const handle = new SocketHandle();
  assert.equal(handle.bind('127.0.0.1', 0), 0);
  const fd = dupFd(handle.fd);
  handle.close();
  assert.ok(fd >= 0);
  return fd;
}

test('new Socket({fd}) of an unconnected socket, then connect() and end(): the reply is read', { timeout: 30_000 }, async () => {
  const P = require('./helpers/parity');
  const results = await P.runBoth(async (mod, label, scope) => {
    const server = await scope.server(builtin, { onConnection: (c) => c.end('bye') });
    const sock = scope.track(new mod.Socket({ fd: unconnectedTcpFd() }));
    const events = [];
    sock.on('connect', () => events.push('connect'));
    sock.on('data', (d) => events.push(['data', String(d)]));
    sock.on('end', () => events.push('end'));
    sock.on('close', (hadError) => events.push(['close', hadError]));
    sock.connect(server.address().port, '127.0.0.1');
    sock.end();
    await P.once(sock, 'close');
    return { events, bytesRead: sock.bytesRead };
  });
  P.assertParity(results, { events: ['connect', ['data', 'bye'], 'end', ['close', false]], bytesRead: 3 });
});

test('new Socket({fd}) of a listening socket: a write fails at once with EPIPE, as net', { timeout: 30_000 }, async () => {
  const P = require('./helpers/parity');
  const { dupFd } = require('../lib/binding');
  const results = await P.runBoth(async (mod, label, scope) => {
    const listening = await scope.server(builtin);
    const sock = scope.track(new mod.Socket({ fd: dupFd(listening._handle.fd) }));
    const events = [];
    sock.on('error', (err) => events.push(['error', err.code, err.syscall]));
    sock.on('close', (hadError) => events.push(['close', hadError]));
    const accepted = sock.write('x', (err) => events.push(['write callback', err && err.code]));
    events.push(['write returned', accepted]);
    await P.once(sock, 'close', { rejectOnError: false });
    return events;
  });
  P.assertParity(results, [
    ['write returned', false],
    ['write callback', 'EPIPE'],
    ['error', 'EPIPE', 'write'],
    ['close', true],
  ]);
});

test('destroying a socket made over stdout leaves fd 1 open, as libuv never closes fds 0-2', { timeout: 30_000 }, async () => {
  const fixture = path.join(__dirname, 'fixtures', 'stdio-destroy.js');
  const outputs = {};
  for (const label of ['net', 'rsnet']) {
    outputs[label] = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [fixture, label], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${label}: child hung`)); }, 20_000);
      child.on('close', (code) => { clearTimeout(timer); resolve(`${code}: ${text}`); });
    });
  }
  assert.equal(outputs.net, "0: fd 1 after destroy: open; a new socket's fd is 1: false\n");
  assert.equal(outputs.rsnet, outputs.net);
});

test('connect() of an adopted socket that is already connected and ended throws EISCONN from connect(), as net', { timeout: 30_000 }, async () => {
  // libuv runs connect(2) on the handle's fd at once; the kernel's answer is the error
  // connect() reports, with the local end, and no connection attempt is announced.
  const P = require('./helpers/parity');
  const { dupFd } = require('../lib/binding');
  const results = await P.runBoth(async (mod, label, scope) => {
    const server = await scope.server(builtin, { onConnection: (s) => s.resume() });
    const { port } = server.address();
    const first = scope.track(builtin.connect(port, '127.0.0.1'));
    await P.once(first, 'connect');
    first.end();
    await P.once(first, 'finish');
    const sock = scope.track(new mod.Socket({ fd: dupFd(first._handle.fd) }));
    const events = [];
    sock.on('connectionAttemptFailed', () => events.push('connectionAttemptFailed'));
    sock.on('error', (err) => events.push(['error', err.code, err.syscall, err.message.replace(/:\d+/g, ':PORT')]));
    sock.connect(port, '127.0.0.1');
    await P.once(sock, 'close', { rejectOnError: false });
    return events;
  });
  P.assertParity(results, [['error', 'EISCONN', 'connect', 'connect EISCONN 127.0.0.1:PORT - Local (127.0.0.1:PORT)']]);
});

test('connect({ localPort }) again on a socket that was connected and ended fails with bind EINVAL, as net', { timeout: 30_000 }, async () => {
  // libuv binds the handle's own fd, which is bound already; the connect never starts.
  const P = require('./helpers/parity');
  const results = await P.runBoth(async (mod, label, scope) => {
    const server = await scope.server(mod, { onConnection: (s) => s.resume() });
    const { port } = server.address();
    const sock = scope.track(mod.connect(port, '127.0.0.1'));
    await P.once(sock, 'connect');
    sock.end();
    await P.once(sock, 'finish');
    const events = [];
    sock.on('error', (err) => events.push(['error', err.code, err.syscall]));
    sock.connect({ port, host: '127.0.0.1', localPort: 65535 });
    await P.once(sock, 'close', { rejectOnError: false });
    return events;
  });
  P.assertParity(results, [['error', 'EINVAL', 'bind']]);
});

'use strict';
// rsnet beyond Node 20's net (issue #20), the API around the socket options of
// tcp-extensions.test.js: socket.sendFile() (sendfile(2) on a runtime thread, as one
// write in the socket's queue), Node-shaped errors for bad input, nothing changed when
// the options are unset, index.d.ts, and ERR_FEATURE_UNAVAILABLE_ON_PLATFORM elsewhere
// than Linux.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const builtin = require('node:net');
const net = require('..');
const { within, once, exitGuard } = require('./fixtures/util');
const {
  LINUX, listening, listenError, closeServer, echoPair, roundTrip, shutdown, typeError, rangeError,
} = require('./helpers/tcp-extensions');

exitGuard(after, path.basename(__filename));

const T = { timeout: 60_000 };

// -------------------------------------------------------------------------
// sendFile

// A server that records everything it receives; `done` resolves with it at EOF.
async function sink() {
  let done;
  const received = new Promise((resolve) => (done = resolve));
  const server = net.createServer((s) => {
    const parts = [];
    s.on('data', (d) => parts.push(d));
    s.on('end', () => {
      done(Buffer.concat(parts));
      s.end();
    });
    s.on('error', () => {});
  });
  await listening(server, { port: 0, host: '127.0.0.1' });
  return { server, received, port: server.address().port };
}

function tempFile(bytes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-sendfile-'));
  const file = path.join(dir, 'data.bin');
  const data = require('node:crypto').randomBytes(bytes);
  fs.writeFileSync(file, data);
  return { dir, file, data };
}

test('sendFile: the kernel sends the file in order with the writes around it, counted in bytesWritten', { ...T, skip: !LINUX }, async () => {
  const { dir, file, data } = tempFile(3 << 20);
  const { server, received, port } = await sink();
  const c = net.connect(port, '127.0.0.1');
  c.write('head|');
  const whole = c.sendFile(file);
  c.write('|middle|');
  const fd = fs.openSync(file, 'r');
  const ranged = c.sendFile(fd, { start: 10, end: 19 });
  const fromUrl = c.sendFile(require('node:url').pathToFileURL(file), { start: data.length - 4 });
  c.end('|tail');
  assert.deepEqual(await within(Promise.all([whole, ranged, fromUrl]), 20_000, 'the sends'), [data.length, 10, 4]);
  fs.closeSync(fd); // a caller's fd stays open, and the caller's
  const got = await within(received, 20_000, 'EOF at the server');
  const expected = Buffer.concat([Buffer.from('head|'), data, Buffer.from('|middle|'), data.subarray(10, 20),
    data.subarray(data.length - 4), Buffer.from('|tail')]);
  assert.equal(got.length, expected.length);
  assert.ok(got.equals(expected), 'the bytes, in order');
  assert.equal(c.bytesWritten, expected.length);
  await once(c, 'close');
  await closeServer(server);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('sendFile never blocks the JS thread: a paused reader holds the send while timers run', { ...T, skip: !LINUX }, async () => {
  const { dir, file, data } = tempFile(16 << 20);
  let reader;
  const accepted = new Promise((resolve) => (reader = resolve));
  const server = net.createServer((s) => {
    s.pause();
    reader(s);
  });
  await listening(server, { port: 0, host: '127.0.0.1' });
  const c = net.connect(server.address().port, '127.0.0.1');
  let settled = false;
  const sent = c.sendFile(file).finally(() => (settled = true));
  const peer = await accepted;
  // 16 MiB cannot fit in the socket buffers of a reader that does not read: the send
  // waits on the runtime, and the JS thread keeps turning meanwhile.
  let ticks = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      if (++ticks === 5) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  assert.equal(settled, false, 'still sending while the reader is paused');
  let total = 0;
  peer.on('data', (d) => (total += d.length));
  peer.resume();
  assert.equal(await within(sent, 20_000, 'the send'), data.length);
  await within(new Promise((resolve) => {
    const check = () => (total === data.length ? resolve() : setTimeout(check, 5));
    check();
  }), 10_000, 'every byte at the reader');
  c.destroy();
  await once(c, 'close');
  await closeServer(server);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('sendFile errors: a missing file rejects and leaves the socket alone; after end, destroyed, a gone peer fail as writes do', { ...T, skip: !LINUX }, async () => {
  const { dir, file } = tempFile(8 << 20);
  const { server, received, port } = await sink();
  const c = net.connect(port, '127.0.0.1');
  const closed = once(c, 'close', 10_000);
  await assert.rejects(c.sendFile(path.join(dir, 'missing')), { code: 'ENOENT', syscall: 'open' });
  c.end('still fine');
  // As write() after end(): the promise rejects and the socket emits the error.
  const afterEnd = once(c, 'error');
  await assert.rejects(c.sendFile(file), { code: 'ERR_STREAM_WRITE_AFTER_END' });
  assert.equal((await afterEnd)[0].code, 'ERR_STREAM_WRITE_AFTER_END');
  assert.equal(String(await within(received, 5000, 'EOF')), 'still fine');
  await closed;
  const d = net.connect(port, '127.0.0.1');
  d.destroy();
  await assert.rejects(d.sendFile(file), { code: 'ERR_STREAM_DESTROYED' });
  // A peer that resets mid-file: the send fails with the socket's error, as a write,
  // or, when the read side saw the reset first and destroyed the socket, it is
  // cancelled (ECANCELED, as libuv cancels a destroyed stream's writes).
  const resetter = net.createServer((s) => setTimeout(() => s.resetAndDestroy(), 20));
  await listening(resetter, { port: 0, host: '127.0.0.1' });
  const e = net.connect(resetter.address().port, '127.0.0.1');
  const errored = once(e, 'error', 10_000);
  const err = await within(e.sendFile(file).then(() => null, (x) => x), 10_000, 'the failed send');
  assert.ok(err && ['ECONNRESET', 'EPIPE', 'ECANCELED'].includes(err.code), String(err));
  assert.equal(err.syscall, 'write');
  // The socket is destroyed with the first error seen, from its read or this write.
  assert.ok(['ECONNRESET', 'EPIPE'].includes((await errored)[0].code));
  await closeServer(resetter);
  await closeServer(server);
  fs.rmSync(dir, { recursive: true, force: true });
});

// -------------------------------------------------------------------------
// Bad input: Node-shaped errors, thrown before anything happens.


test('bad arguments get Node-style errors, never a crash', { ...T, skip: !LINUX }, async () => {
  const s = new net.Socket();
  const cases = [
    [() => s.setUserTimeout('1000'), typeError('msecs', "type string \\('1000'\\)")],
    [() => s.setUserTimeout(), typeError('msecs', 'undefined')],
    [() => s.setUserTimeout(-1), rangeError('msecs', '>= 0 && <= 2147483647', '-1')],
    [() => s.setUserTimeout(NaN), rangeError('msecs', '>= 0 && <= 2147483647', 'NaN')],
    [() => s.setUserTimeout(2 ** 31), rangeError('msecs', '>= 0 && <= 2147483647', '2147483648')],
    [() => s.setTypeOfService('0x28'), typeError('tos', "type string \\('0x28'\\)")],
    [() => s.setTypeOfService(256), rangeError('tos', '>= 0 && <= 255', '256')],
    [() => s.setTypeOfService(-1), rangeError('tos', '>= 0 && <= 255', '-1')],
    [() => s.setTypeOfService(1.5), rangeError('tos', 'an integer', '1.5')],
    [() => s.setTypeOfService(NaN), rangeError('tos', 'an integer', 'NaN')],
    [() => s.setKeepAlive(true, 1000, 'fast'), typeError('options', "type string \\('fast'\\)")],
    [() => s.setKeepAlive(true, 1000, null), typeError('options', 'null')],
    [() => s.setKeepAlive(true, 1000, { interval: '1s' }), typeError('options.interval', "type string \\('1s'\\)")],
    [() => s.setKeepAlive(true, 1000, { interval: -5 }), rangeError('options.interval', '>= 0 && <= 32767000', '-5')],
    [() => s.setKeepAlive(true, 1000, { interval: NaN }), rangeError('options.interval', '>= 0 && <= 32767000', 'NaN')],
    [() => s.setKeepAlive(true, 1000, { count: 0 }), rangeError('options.count', '>= 1 && <= 127', '0')],
    [() => s.setKeepAlive(true, 1000, { count: 2.5 }), rangeError('options.count', 'an integer', '2.5')],
    [() => new net.Socket({ keepAliveInterval: 'x' }), typeError('options.keepAliveInterval', "type string \\('x'\\)")],
    [() => new net.Socket({ keepAliveCount: 128 }), rangeError('options.keepAliveCount', '>= 1 && <= 127', '128')],
    [() => net.connect({ port: 1, keepAliveCount: -1 }), rangeError('options.keepAliveCount', '>= 1 && <= 127', '-1')],
    [() => net.createServer({ keepAliveInterval: -1 }), rangeError('options.keepAliveInterval', '>= 0 && <= 32767000', '-1')],
    [() => net.createServer({ keepAliveCount: '3' }), typeError('options.keepAliveCount', "type string \\('3'\\)")],
    [() => net.createServer().listen({ port: 0, reusePort: 'yes' }), typeError('options.reusePort', "type string \\('yes'\\)")],
    [() => net.createServer().listen({ port: 0, reusePort: 1 }), typeError('options.reusePort', 'type number \\(1\\)')],
    [() => net.createServer().listen({ port: 0, fastOpen: -1 }), rangeError('options.fastOpen', '>= 0 && <= 2147483647', '-1')],
    [() => net.createServer().listen({ port: 0, fastOpen: true }), typeError('options.fastOpen', 'type boolean \\(true\\)')],
    [() => net.createServer().listen({ port: 0, fastOpen: 1.5 }), rangeError('options.fastOpen', 'an integer', '1.5')],
    [() => net.connect({ port: 1, host: '127.0.0.1', fastOpen: 'yes' }), typeError('options.fastOpen', "type string \\('yes'\\)")],
    [() => net.connect({ port: 1, host: '127.0.0.1', fastOpen: 1 }), typeError('options.fastOpen', 'type number \\(1\\)')],
    [() => s.sendFile(), typeError('file', 'undefined')],
    [() => s.sendFile({}), typeError('file', 'an instance of Object')],
    [() => s.sendFile(-1), rangeError('fd', '>= 0 && <= 2147483647', '-1')],
    [() => s.sendFile('/x', 'opts'), typeError('options', "type string \\('opts'\\)")],
    [() => s.sendFile('/x', { start: -1 }), rangeError('options.start', '>= 0 && <= 9007199254740991', '-1')],
    [() => s.sendFile('/x', { end: 1.5 }), rangeError('options.end', 'an integer', '1.5')],
    [() => s.sendFile('/x', { start: 5, end: 2 }), rangeError('options.start', '<= "end" (here: 2)', '5')],
  ];
  for (const [call, expected] of cases) assert.throws(call, expected, String(call));
});

test('unset or off, the options change nothing: the same errors and events as built-in net', { ...T, skip: !LINUX }, async () => {
  const first = await listening(net.createServer(), { port: 0, host: '127.0.0.1', reusePort: false });
  const { port } = first.address();
  const mine = await listenError(net.createServer(), { port, host: '127.0.0.1' });
  const theirs = await listenError(builtin.createServer(), { port, host: '127.0.0.1' });
  for (const key of ['code', 'errno', 'syscall', 'address', 'port', 'message']) assert.equal(mine[key], theirs[key], key);
  await closeServer(first);
  // setKeepAlive's two-argument form is Node's: it returns the socket, remembers
  // before connect, and applies on connect.
  const pair = await echoPair({ keepAlive: true, keepAliveInitialDelay: 5000 });
  assert.equal(pair.client.setKeepAlive(false), pair.client);
  assert.equal(await roundTrip(pair.client, 'plain'), 'plain');
  await shutdown(pair);
});

test('index.d.ts types the extensions without changing the module\'s (Node\'s) types', T, () => {
  const root = path.join(__dirname, '..');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-tcpext-types-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(root, path.join(dir, 'node_modules', 'rsnet'), 'dir');
    fs.symlinkSync(path.join(root, 'node_modules', '@types'), path.join(dir, 'node_modules', '@types'), 'dir');
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'node16', moduleResolution: 'node16', types: ['node'] },
      files: ['ext.ts'],
    }));
    fs.writeFileSync(path.join(dir, 'ext.ts'), `
      import rsnet = require('rsnet');
      import net = require('node:net');
      type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
      export const sameModule: Same<typeof rsnet, typeof net> = true;
      export const sameSocket: Same<rsnet.Socket, net.Socket> = true;
      const serverOptions: rsnet.ExtendedServerOpts = { keepAlive: true, keepAliveInterval: 2000, keepAliveCount: 3 };
      const listenOptions: rsnet.ExtendedListenOptions = { port: 0, reusePort: true, fastOpen: 16 };
      const server = rsnet.createServer(serverOptions).listen(listenOptions);
      const connectOptions: rsnet.ExtendedTcpSocketConnectOpts = { port: 1, fastOpen: true, keepAliveCount: 3 };
      const socket = rsnet.connect(connectOptions) as rsnet.ExtendedSocket;
      socket.setKeepAlive(true, 1000, { interval: 2000, count: 3 }).setUserTimeout(5000).setTypeOfService(0x28);
      const info: rsnet.TCPInfo | undefined = socket.getTCPInfo();
      const rtt: number | undefined = info?.rtt;
      const sent: Promise<number> = socket.sendFile('/etc/hostname', { start: 0, end: 10 });
      const state: 'ESTABLISHED' | string | undefined = info?.state;
      // @ts-expect-error Node's own Socket type is untouched
      new net.Socket().getTCPInfo();
      // @ts-expect-error reusePort is a boolean
      const wrong: rsnet.ExtendedListenOptions = { reusePort: 'yes' };
      export const used = [server, rtt, state, wrong, sent];
    `);
    const r = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `tsc reported:\n${r.stdout}${r.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('elsewhere than Linux each extension throws ERR_FEATURE_UNAVAILABLE_ON_PLATFORM, and plain net use works', T, async () => {
  const code = `
    Object.defineProperty(process, 'platform', { value: 'darwin' });
    const net = require(${JSON.stringify(path.join(__dirname, '..'))});
    const out = {};
    const attempt = (name, fn) => { try { fn(); out[name] = 'no error'; } catch (e) { out[name] = e.code + ' ' + e.name + ': ' + e.message; } };
    const s = new net.Socket();
    attempt('setUserTimeout', () => s.setUserTimeout(1000));
    attempt('setTypeOfService', () => s.setTypeOfService(0));
    attempt('getTCPInfo', () => s.getTCPInfo());
    attempt('setKeepAlive probes', () => s.setKeepAlive(true, 1000, { interval: 1000 }));
    attempt('keepAliveCount', () => new net.Socket({ keepAliveCount: 3 }));
    attempt('reusePort', () => net.createServer().listen({ port: 0, reusePort: true }));
    attempt('fastOpen listen', () => net.createServer().listen({ port: 0, fastOpen: 5 }));
    attempt('fastOpen connect', () => net.connect({ port: 1, host: '127.0.0.1', fastOpen: true }));
    attempt('reusePort false', () => net.createServer().listen({ port: 0, reusePort: false }).close());
    attempt('fastOpen 0', () => net.createServer().listen({ port: 0, fastOpen: 0 }).close());
    attempt('two-argument setKeepAlive', () => s.setKeepAlive(true, 1000));
    attempt('sendFile', () => s.sendFile('/etc/hostname'));
    console.log(JSON.stringify(out));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const [status] = await once(child, 'exit', 10_000);
  assert.equal(status, 0);
  const out = JSON.parse(stdout);
  const unavailable = (feature) => 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM TypeError: ' +
    `The feature ${feature} is unavailable on the current platform, which is being used to run Node.js`;
  assert.deepEqual(out, {
    'setUserTimeout': unavailable('socket.setUserTimeout()'),
    'setTypeOfService': unavailable('socket.setTypeOfService()'),
    'getTCPInfo': unavailable('socket.getTCPInfo()'),
    'setKeepAlive probes': unavailable('TCP keep-alive probe settings'),
    'keepAliveCount': unavailable('TCP keep-alive probe settings'),
    'reusePort': unavailable('reusePort'),
    'fastOpen listen': unavailable('TCP Fast Open'),
    'fastOpen connect': unavailable('TCP Fast Open'),
    'reusePort false': 'no error',
    'fastOpen 0': 'no error',
    'two-argument setKeepAlive': 'no error',
    'sendFile': unavailable('socket.sendFile()'),
  });
});

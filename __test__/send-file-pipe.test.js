'use strict';
// fs.createReadStream(path).pipe(socket) (rsnet beyond net, issue #20): on an rsnet
// socket the file goes by sendfile(2) (lib/send_file_pipe.js). Each scenario runs on
// built-in net and on rsnet: the peer must receive the same bytes (SHA-256), both
// streams must emit the same events in the same order, and bytesRead/bytesWritten must
// agree. Flow-control events ('pause'/'resume' of the ReadStream, 'drain' of the
// socket) depend on timing on both: they come when the kernel held a write back,
// which net (64 KiB writes at the speed of JS) and rsnet (4 MiB slices at the speed of
// sendfile) meet at different moments. So the event orders are compared without them,
// and where the peer stops reading, both must show them. A child under strace shows
// that rsnet really called sendfile(2).
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { load, ROOT } = require('./helpers/harness');
const { within, exitGuard } = require('./fixtures/util');

exitGuard(after, path.basename(__filename));

const builtin = load('net');
const rsnet = load('rsnet');
const LINUX = process.platform === 'linux';
const T = { timeout: 60_000, skip: !LINUX && 'sendfile(2) is used on Linux only' };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-sendfile-pipe-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
// Three slices and a bit: the last one short.
const SIZE = 8 * 1024 * 1024 + 12345;
const file = path.join(dir, 'data.bin');
fs.writeFileSync(file, crypto.randomBytes(SIZE));

const SRC_EVENTS = ['open', 'ready', 'pause', 'resume', 'end', 'close', 'error'];
const DEST_EVENTS = ['pipe', 'unpipe', 'drain', 'finish', 'end', 'close', 'error'];

// A built-in net server that hashes what it receives. `paused`: it reads nothing for
// that many ms (the sender's socket fills). `resetAfter`: it resets the connection
// once it has that many bytes. `reply`: what it writes back when the client ends.
function peer({ paused = 0, resetAfter = Infinity, reply = '' } = {}) {
  let done;
  const result = new Promise((resolve) => (done = resolve));
  const server = builtin.createServer((s) => {
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    const finish = () => done({ bytes, digest: hash.digest('hex') });
    s.on('data', (d) => {
      hash.update(d);
      bytes += d.length;
      if (bytes >= resetAfter) {
        s.resetAndDestroy();
        finish();
      }
    });
    s.on('end', () => {
      finish();
      s.end(reply);
    });
    s.on('error', () => {});
    if (paused) {
      s.pause();
      setTimeout(() => s.resume(), paused);
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, result }));
  });
}

// Runs `src.pipe(socket)` on `mod`, records both streams' events until the socket
// closes; `setup(src, socket)` runs right after pipe().
async function scenario(mod, { source = file, streamOptions, pipeOptions, peerOptions, setup, afterEnd, early } = {}) {
  const { server, port, result } = await peer(peerOptions);
  const log = [];
  let maxQueued = 0;
  // `early`: piped into the socket while it connects (to 'localhost', so after a lookup).
  const socket = mod.connect(port, early ? 'localhost' : '127.0.0.1');
  if (!early) await new Promise((resolve) => socket.once('connect', resolve));
  const src = fs.createReadStream(source, streamOptions);
  for (const e of SRC_EVENTS) src.on(e, (err) => log.push(['src', e === 'error' ? `error ${err.code}` : e]));
  for (const e of DEST_EVENTS) socket.on(e, (err) => log.push(['socket', e === 'error' ? 'error' : e]));
  // Bytes held in JS, read from the file but not yet in the kernel.
  const sample = () => (maxQueued = Math.max(maxQueued, socket.writableLength + src.readableLength));
  const sampler = setInterval(sample, 5);
  socket.on('drain', () => sample());
  const reply = [];
  socket.on('data', (d) => reply.push(d));
  src.pipe(socket, pipeOptions);
  if (setup) setup(src, socket);
  if (afterEnd) src.once('end', () => afterEnd(socket));
  await within(new Promise((resolve) => socket.once('close', resolve)), 30_000, 'the socket to close');
  // The ReadStream closes its fd after 'end' on its own schedule.
  if (src.readableEnded && !src.closed) await within(new Promise((resolve) => src.once('close', resolve)), 5000, 'the ReadStream to close');
  clearInterval(sampler);
  const received = await within(result, 10_000, 'the peer to finish');
  server.close();
  // Left open (a reset peer): closed after the record is taken.
  setImmediate(() => src.destroy());
  return {
    received,
    reply: Buffer.concat(reply).toString(),
    src: collapse(log.filter(([who]) => who === 'src').map(([, e]) => e)),
    socket: collapse(log.filter(([who]) => who === 'socket').map(([, e]) => e)),
    // Was either held back ('pause' of the ReadStream, 'drain' of the socket)?
    held: [log.some(([who, e]) => who === 'src' && e === 'pause'), log.some(([who, e]) => who === 'socket' && e === 'drain')],
    // The order across the two streams of what pipe() itself does at the end.
    ending: log.filter(([who, e]) => (who === 'src' && e === 'end') || (who === 'socket' && ['finish', 'unpipe'].includes(e)))
      .map((x) => x.join(':')),
    bytesRead: src.bytesRead,
    bytesWritten: socket.bytesWritten,
    maxQueued,
  };
}

const FLOW = new Set(['pause', 'resume', 'drain']);

// The events but flow control (see the top).
function collapse(events) {
  return events.filter((e) => !FLOW.has(e));
}

function digestOf(start = 0, end = SIZE - 1) {
  const data = fs.readFileSync(file).subarray(start, end + 1);
  return { bytes: data.length, digest: crypto.createHash('sha256').update(data).digest('hex') };
}

async function same(options, check) {
  const a = await scenario(builtin, options);
  const b = await scenario(rsnet, options);
  assert.deepEqual(b.received, a.received, 'bytes received');
  assert.deepEqual(b.src, a.src, 'ReadStream events');
  assert.deepEqual(b.socket, a.socket, 'socket events');
  assert.deepEqual(b.ending, a.ending, 'end, finish, unpipe order');
  assert.equal(b.bytesRead, a.bytesRead, 'ReadStream bytesRead');
  assert.equal(b.bytesWritten, a.bytesWritten, 'socket bytesWritten');
  assert.equal(b.reply, a.reply, 'what the peer wrote back');
  if (check) check(a, b);
  return [a, b];
}

test('the whole file: same bytes, same events, ended by the pipe', T, async () => {
  const [a] = await same({});
  assert.deepEqual(a.received, digestOf());
});

test('a range (start, end as fs.createReadStream takes them)', T, async () => {
  const [a] = await same({ streamOptions: { start: 1000, end: 4 * 1024 * 1024 + 999 } });
  assert.deepEqual(a.received, digestOf(1000, 4 * 1024 * 1024 + 999));
  const [c] = await same({ streamOptions: { start: SIZE - 10 } });
  assert.deepEqual(c.received, digestOf(SIZE - 10));
});

test('piped while the socket connects: sent once it is connected', T, async () => {
  const [a] = await same({ early: true });
  assert.deepEqual(a.received, digestOf());
});

test('a peer that does not read for a while: the send waits, memory does not grow', T, async () => {
  await same({ peerOptions: { paused: 400 } }, (a, b) => {
    assert.deepEqual(a.held, [true, true], 'net was held back');
    assert.deepEqual(b.held, [true, true], 'rsnet was held back');
    assert.ok(b.maxQueued <= 64 * 1024, `rsnet queued ${b.maxQueued} bytes in JS`);
  });
});

test('{ end: false }: the socket stays open, the program ends it', T, async () => {
  await same({
    pipeOptions: { end: false },
    peerOptions: { reply: 'bye' },
    afterEnd: (socket) => socket.end(),
  });
});

test('what would let JS see the bytes, or not a regular file, keeps the JS pipe: setEncoding, a data listener, /dev/zero', T, async () => {
  await same({ source: '/dev/zero', streamOptions: { end: 3 * 1024 * 1024 } });
  await same({ setup: (src) => src.setEncoding('latin1') });
  let seen = 0;
  await same({ setup: (src) => src.on('data', (d) => (seen += d.length)) });
  assert.equal(seen, 2 * SIZE);
  // Added mid-file: rsnet goes on in JS from the end of the slice under way; the
  // listener sees less than on net (what the slices sent), the peer the same bytes.
  await same({ setup: (src) => setTimeout(() => src.on('data', () => {}), 5) });
});

test('the peer resets mid-file: a write error on the socket, the ReadStream left open', T, async () => {
  const a = await scenario(builtin, { peerOptions: { resetAfter: 1024 * 1024 } });
  const b = await scenario(rsnet, { peerOptions: { resetAfter: 1024 * 1024 } });
  for (const r of [a, b]) {
    assert.ok(r.socket.includes('error') && r.socket.includes('unpipe') && r.socket.at(-1) === 'close', r.socket.join());
    assert.ok(!r.src.includes('end'), r.src.join());
  }
  assert.deepEqual(b.socket, a.socket);
});

// unpipe() mid-file, then pipe() into another socket: the second gets the rest, from
// exactly where the first stopped (the cut itself differs: 64 KiB chunks on net, 4 MiB
// slices on rsnet, so only the concatenation is compared).
async function repipe(mod) {
  const first = await peer();
  const second = await peer();
  const connect = async (port) => {
    const socket = mod.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    return socket;
  };
  const a = await connect(first.port);
  const b = await connect(second.port);
  const src = fs.createReadStream(file);
  src.pipe(a);
  await new Promise((resolve) => setTimeout(resolve, 10));
  src.unpipe(a);
  a.end();
  const cut = (await within(first.result, 10_000, 'the first peer')).bytes;
  src.pipe(b);
  const rest = await within(second.result, 10_000, 'the second peer');
  first.server.close();
  second.server.close();
  const data = fs.readFileSync(file);
  assert.equal(cut + rest.bytes, SIZE, `${mod === builtin ? 'net' : 'rsnet'}: ${cut} + ${rest.bytes}`);
  assert.equal(rest.digest, crypto.createHash('sha256').update(data.subarray(cut)).digest('hex'));
  return src.bytesRead;
}

test('unpipe() mid-file, then pipe() elsewhere: the rest, from where the first stopped', T, async () => {
  assert.equal(await repipe(builtin), SIZE);
  assert.equal(await repipe(rsnet), SIZE);
});

// The rsnet path really uses sendfile(2): a child pipes the file under strace.
const STRACE = require('../scripts/test-services.js').which('strace');

test('rsnet sends the file with sendfile(2) (strace)', {
  ...T,
  skip: T.skip || (!STRACE && 'strace is not installed: npm test installs it (scripts/test-services.js)'),
}, () => {
  const child = `
    const fs = require('node:fs');
    const net = require(${JSON.stringify(ROOT)});
    const server = require('node:net').createServer((s) => { s.resume(); s.on('end', () => s.end()); });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      // Piped once connected, then piped while connecting.
      const first = net.connect(port, '127.0.0.1', () => fs.createReadStream(${JSON.stringify(file)}).pipe(first));
      first.resume();
      first.on('close', () => {
        const second = net.connect(port, 'localhost');
        fs.createReadStream(${JSON.stringify(file)}).pipe(second);
        second.resume();
        second.on('close', () => server.close());
      });
    });`;
  const trace = path.join(dir, 'strace.txt');
  const r = spawnSync(STRACE, ['-f', '-e', 'trace=sendfile', '-o', trace, process.execPath, '-e', child], {
    timeout: 30_000, encoding: 'utf8', env: process.env,
  });
  assert.equal(r.status, 0, r.stderr);
  const sent = fs.readFileSync(trace, 'utf8').split('\n')
    .map((line) => /sendfile\(.*\) = (\d+)/.exec(line)).filter(Boolean)
    .reduce((sum, m) => sum + Number(m[1]), 0);
  assert.equal(sent, 2 * SIZE, 'bytes moved by sendfile(2)');
});

// The 'pipe' hook sits on every socket's emit: it must pass every event on unchanged.
test("emit() passes events on as net's does: argument counts, return values, 'pipe' from anything", T, () => {
  const seen = (mod) => {
    const socket = new mod.Socket();
    const out = [];
    for (const event of ['x', 'pipe']) socket.on(event, function() { out.push([event, arguments.length, ...arguments]); });
    out.push(socket.emit('x'), socket.emit('x', 1), socket.emit('x', 1, 2), socket.emit('x', 1, 2, 3, 4),
      socket.emit('unheard', 1), socket.emit('pipe'), socket.emit('pipe', null), socket.emit('pipe', {}, 2));
    socket.destroy();
    return out;
  };
  assert.deepEqual(seen(rsnet), seen(builtin));
});

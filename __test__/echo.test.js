'use strict';
// Echo: bytes in == bytes out, for every size, every way of writing, and every
// pairing of implementations (rsnet<->rsnet, rsnet<->net, net<->rsnet).
const { test } = require('node:test');
const P = require('./helpers/parity');

const KiB = 1024;
const MiB = 1024 * KiB;

/** A server that writes back everything it reads, and ends when the client ends. */
function echoServer(scope, mod, opts = {}) {
  return scope.server(mod, { ...opts, onConnection: (s) => s.pipe(s) });
}

/**
 * One client sends `payload` (with end()), and reads the echo to its end.
 * Recorded per socket: client events (minus 'finish' and 'drain', which
 * legitimately interleave with 'data' once the payload is bigger than the
 * socket buffers),
 * the accepted socket's events, and what came back.
 */
async function echoOnce({ server, client }, scope, payload, { chunk = 0, waitMs = 50_000 } = {}) {
  const srvRec = new P.Recording();
  const srvClosed = P.deferred(waitMs, "accepted socket's 'close'");
  const srv = await echoServer(scope, server);
  srv.on('connection', (s) => {
    srvRec.attach(s);
    s.on('close', () => srvClosed.resolve());
  });
  const sock = scope.track(client.createConnection({ port: srv.address().port, host: '127.0.0.1' }));
  const rec = P.record(sock);
  if (chunk) {
    for (let off = 0; off < payload.length; off += chunk) sock.write(payload.subarray(off, off + chunk));
    sock.end();
  } else {
    sock.end(payload);
  }
  await P.once(sock, 'close', { timeoutMs: waitMs, label: 'echo client' });
  // The two ends close in either order (different sockets): wait for both.
  await srvClosed.promise;
  return {
    client: rec.view({ exclude: ['finish', 'drain'] }),
    finishCount: rec.count('finish'),
    received: rec.received(),
    server: srvRec.view({ exclude: ['drain'] }), // pipe() drains at its own pace
    bytes: { read: sock.bytesRead, written: sock.bytesWritten },
  };
}

function expectedEcho(payload) {
  const n = payload.length;
  return {
    client: ['connect', 'ready', `data(${n}B)`, 'end', 'close(false)'],
    finishCount: 1,
    received: { bytes: n, sha256: P.sha256(payload) },
    server: [`data(${n}B)`, 'end', 'finish', 'close(false)'],
    bytes: { read: n, written: n },
  };
}

for (const [name, size] of [
  ['1 B', 1],
  ['1 KiB', KiB],
  ['64 KiB', 64 * KiB],
  ['1 MiB', MiB],
  ['64 MiB', 64 * MiB],
]) {
  test(`echo ${name}: same events and sha256 for every pairing`, { timeout: 240_000 }, async () => {
    const payload = P.randomBytes(size);
    const results = await P.runPairs((mods, scope) => echoOnce(mods, scope, payload));
    P.assertParity(results, expectedEcho(payload));
  });
}

test('echo 1 MiB written as 4 KiB writes arrives intact and in order', { timeout: 60_000 }, async () => {
  // Many small writes queue up inside the Writable while the socket drains;
  // reordering or dropping one of them shows up in the checksum.
  const payload = P.randomBytes(MiB);
  const results = await P.runPairs((mods, scope) => echoOnce(mods, scope, payload, { chunk: 4 * KiB, waitMs: 12_000 }));
  P.assertParity(results, expectedEcho(payload));
});

test('echo over IPv6 loopback (::1)', { timeout: 60_000 }, async (t) => {
  if (!(await P.hasIPv6())) return t.skip('no IPv6 loopback here');
  const payload = P.randomBytes(256 * KiB);
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srv = await echoServer(scope, server, { host: '::1' });
    const sock = scope.track(client.createConnection({ port: srv.address().port, host: '::1' }));
    const rec = P.record(sock);
    let family;
    sock.on('connect', () => (family = `${sock.remoteAddress} ${sock.remoteFamily}`));
    sock.end(payload);
    await P.once(sock, 'close', { timeoutMs: 20_000 });
    return { family, log: rec.view({ exclude: ['finish'] }), got: rec.received() };
  });
  P.assertParity(results, {
    family: '::1 IPv6',
    log: ['connect', 'ready', `data(${payload.length}B)`, 'end', 'close(false)'],
    got: { bytes: payload.length, sha256: P.sha256(payload) },
  });
});

test('strings with encodings, Buffers and Uint8Arrays are sent as the right bytes', { timeout: 30_000 }, async () => {
  // Each write() form converts to bytes differently; the echo must be exactly those bytes.
  const writes = [
    ['plain ascii, default encoding'],
    ['utf8: h\u00e9llo w\u00f6rld \u20ac \u{1F600}', 'utf8'],
    ['68656c6c6f2068657821', 'hex'],
    ['aGVsbG8gYmFzZTY0IQ==', 'base64'],
    ['caf\u00e9 na\u00efve \u00ff', 'latin1'],
    ['utf16 \u20ac', 'utf16le'],
    [Buffer.from([0, 1, 2, 253, 254, 255])],
    [new Uint8Array([9, 8, 7, 6, 5])],
    [new Uint8Array(new Uint8Array([0, 0, 42, 43, 44, 0]).buffer, 2, 3)], // a view with an offset
  ];
  const expected = Buffer.concat(writes.map(([d, enc]) => P.toBuffer(d, enc)));
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srv = await echoServer(scope, server);
    const sock = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
    const got = P.collect(sock, { keep: true });
    const rets = writes.map(([d, enc]) => sock.write(d, enc));
    sock.end('end-with-encoding:' + 'ff00', 'utf8');
    const r = await got;
    return { rets, bytes: r.bytes, hex: r.buffer.toString('hex'), bytesWritten: sock.bytesWritten };
  });
  const full = Buffer.concat([expected, Buffer.from('end-with-encoding:ff00')]);
  P.assertParity(results, {
    rets: writes.map(() => true),
    bytes: full.length,
    hex: full.toString('hex'),
    bytesWritten: full.length,
  });
});

test('end(string, encoding) and write(string, encoding, cb) use the encoding', { timeout: 30_000 }, async () => {
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srv = await echoServer(scope, server);
    const sock = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
    const got = P.collect(sock, { keep: true });
    const cbs = [];
    sock.write('c0ffee', 'hex', (err) => cbs.push(`hex-cb(${err})`));
    sock.end('3q2+7w==', 'base64', (err) => cbs.push(`end-cb(${err})`));
    const r = await got;
    await P.once(sock, 'close');
    return { hex: r.buffer.toString('hex'), cbs };
  });
  P.assertParity(results, { hex: 'c0ffeedeadbeef', cbs: ['hex-cb(null)', 'end-cb(null)'] });
});

/**
 * The sender writes `bytes` in two parts split at `cut`, and only sends the
 * second part once the receiver has seen the first one, so the receiver's
 * decoder really gets the character cut in two.
 */
async function splitDelivery({ server, client }, scope, bytes, cut, encoding) {
  const srvSide = P.deferred(10_000, 'server connection');
  const srv = await scope.server(server, { onConnection: (s) => srvSide.resolve(s) });
  const sock = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
  sock.setEncoding(encoding);
  const chunks = [];
  const firstData = P.once(sock, 'data', { label: 'first data' });
  sock.on('data', (c) => chunks.push(c));
  const ended = P.once(sock, 'end');
  const peer = await srvSide.promise;
  peer.write(bytes.subarray(0, cut));
  await firstData;
  peer.end(bytes.subarray(cut));
  await ended;
  return {
    readableEncoding: sock.readableEncoding,
    types: [...new Set(chunks.map((c) => typeof c))],
    chunks,
    text: chunks.join(''),
  };
}

test("setEncoding('utf8'): a multi-byte character split across reads is decoded whole", { timeout: 30_000 }, async () => {
  // '\u20ac' is 3 bytes and '\u{1F600}' is 4: cut inside each, in two scenarios.
  const text1 = 'h\u00e9llo \u20ac!';
  const bytes1 = Buffer.from(text1);
  const cut1 = bytes1.indexOf(Buffer.from('\u20ac')) + 1; // after the first byte of the euro sign
  const text2 = 'smile \u{1F600} done';
  const bytes2 = Buffer.from(text2);
  const cut2 = bytes2.indexOf(Buffer.from('\u{1F600}')) + 2; // in the middle of the emoji

  const results = await P.runPairs(async (mods, scope) => ({
    euro: await splitDelivery(mods, scope, bytes1, cut1, 'utf8'),
    emoji: await splitDelivery(mods, scope, bytes2, cut2, 'utf8'),
  }));
  P.assertParity(results, {
    euro: { readableEncoding: 'utf8', types: ['string'], chunks: ['h\u00e9llo ', '\u20ac!'], text: text1 },
    emoji: { readableEncoding: 'utf8', types: ['string'], chunks: ['smile ', '\u{1F600} done'], text: text2 },
  });
});

test("setEncoding('base64') and ('hex') on the receiving side", { timeout: 30_000 }, async () => {
  // base64 has 3-byte groups: a 4-byte first chunk leaves one byte pending in the decoder.
  const bytes = Buffer.from('0123456789abcdef');
  const results = await P.runPairs(async (mods, scope) => ({
    base64: await splitDelivery(mods, scope, bytes, 4, 'base64'),
    hex: await splitDelivery(mods, scope, bytes, 5, 'hex'),
  }));
  P.assertParity(results, {
    base64: {
      readableEncoding: 'base64',
      types: ['string'],
      // 3 bytes now, 12 more with the second read, the last byte flushed at 'end'
      chunks: ['MDEy', 'MzQ1Njc4OWFiY2Rl', 'Zg=='],
      text: bytes.subarray(0, 3).toString('base64') + bytes.subarray(3).toString('base64'),
    },
    hex: {
      readableEncoding: 'hex',
      types: ['string'],
      chunks: [bytes.subarray(0, 5).toString('hex'), bytes.subarray(5).toString('hex')],
      text: bytes.toString('hex'),
    },
  });
});

test('write callbacks are all called, in order, before end() callback and finish', { timeout: 60_000 }, async () => {
  // Sizes mix tiny writes with ones far above the socket buffers, so some
  // complete synchronously and some asynchronously in net.
  const sizes = [1, 10, 300 * KiB, 5, 2 * MiB, 100, 64 * KiB, 1];
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srv = await echoServer(scope, server);
    const sock = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
    const got = P.collect(sock);
    await P.once(sock, 'connect');
    const order = [];
    sock.on('finish', () => order.push('finish'));
    const payload = [];
    sizes.forEach((n, i) => {
      const b = P.randomBytes(n);
      payload.push(b);
      sock.write(b, (...args) => order.push(`write${i}(${args.map(String).join(',')})`));
    });
    sock.end((...args) => order.push(`end(${args.map(String).join(',')})`));
    const r = await got;
    await P.once(sock, 'close');
    return { order, echoed: r.sha256 === P.sha256(payload), bytes: r.bytes };
  });
  P.assertParity(results, {
    order: [...sizes.map((_, i) => `write${i}(null)`), 'end(null)', 'finish'],
    echoed: true,
    bytes: sizes.reduce((a, b) => a + b, 0),
  });
});

test('cork()/uncork(): writes are held while corked, then sent together in order', { timeout: 30_000 }, async () => {
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srvData = [];
    const srv = await scope.server(server, {
      onConnection: (s) => {
        s.on('data', (d) => srvData.push(d.toString()));
        s.on('end', () => s.end());
      },
    });
    const sock = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
    await P.once(sock, 'connect');
    const states = [];
    const snap = (what) => states.push(`${what}: corked=${sock.writableCorked} length=${sock.writableLength}`);
    const cbs = [];
    sock.cork();
    snap('cork');
    sock.write('one,', () => cbs.push(1));
    snap('write1');
    sock.cork(); // nested: needs two uncork() calls
    sock.write(Buffer.from('two,'), () => cbs.push(2));
    sock.write(new Uint8Array([0x74, 0x68, 0x72, 0x65, 0x65]), () => cbs.push(3));
    snap('write3');
    sock.uncork();
    snap('uncork1');
    sock.uncork();
    states.push(`uncork2: corked=${sock.writableCorked}`);
    sock.end();
    await P.once(sock, 'close');
    return { states, cbs, srvData, srvDataJoined: srvData.join('') };
  });
  P.assertParity(results, {
    states: [
      'cork: corked=1 length=0',
      'write1: corked=1 length=4',
      'write3: corked=2 length=13',
      'uncork1: corked=1 length=13',
      'uncork2: corked=0',
    ],
    cbs: [1, 2, 3],
    // one 'data' event: the corked writes go out as one batch
    srvData: ['one,two,three'],
    srvDataJoined: 'one,two,three',
  });
});

test('a huge cork (5000 writes) and empty writes: every byte in order, every callback in order', { timeout: 30_000 }, async () => {
  // Thousands of corked chunks become one vectored write, more than fit in one
  // writev() call; empty writes still complete.
  const results = await P.runPairs(async ({ server, client }, scope) => {
    const srv = await echoServer(scope, server);
    const c = scope.track(client.createConnection(srv.address().port, '127.0.0.1'));
    const got = P.collect(c);
    await P.once(c, 'connect');
    const order = [];
    const parts = [];
    c.write('', () => order.push('empty'));
    c.cork();
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(`#${i};`);
      parts.push(b);
      c.write(b, () => order.push(i));
    }
    c.write('', () => order.push('empty2'));
    c.uncork();
    c.end('', () => order.push('end'));
    const r = await got;
    await P.once(c, 'close');
    return {
      first: order[0],
      inOrder: order.slice(1, 5001).every((v, i) => v === i),
      last: order.slice(5001),
      echoed: r.sha256 === P.sha256(parts),
      bytesWritten: c.bytesWritten,
    };
  });
  P.assertParity(results, {
    first: 'empty',
    inOrder: true,
    last: ['empty2', 'end'],
    echoed: true,
    bytesWritten: 28890,
  });
});

test('200 concurrent connections each echo their own data', { timeout: 120_000 }, async () => {
  // Data from one connection must never leak into another, and every
  // connection must see the full normal event sequence.
  const N = 200;
  const results = await P.runPairs(async ({ server, client }, scope) => {
    let accepted = 0;
    const srv = await scope.server(server, {
      onConnection: (s) => {
        accepted++;
        s.pipe(s);
      },
    });
    const port = srv.address().port;
    const runs = [];
    for (let i = 0; i < N; i++) {
      // distinct size and content per connection
      const payload = Buffer.concat([Buffer.from(`conn ${i}:`), P.randomBytes(1000 + ((i * 97) % 8000))]);
      const sock = scope.track(client.createConnection(port, '127.0.0.1'));
      const rec = P.record(sock);
      sock.end(payload);
      runs.push(
        P.once(sock, 'close', { timeoutMs: 60_000, label: `connection ${i}` }).then(() => ({
          ok: rec.received().sha256 === P.sha256(payload) && rec.received().bytes === payload.length,
          log: rec.view({ exclude: ['finish'] }).map((e) => e.replace(/^data\(\d+B\)$/, 'data')),
        })),
      );
    }
    const done = await Promise.all(runs);
    return {
      accepted,
      intact: done.filter((r) => r.ok).length,
      logs: [...new Set(done.map((r) => JSON.stringify(r.log)))],
    };
  });
  P.assertParity(results, {
    accepted: N,
    intact: N,
    logs: [JSON.stringify(['connect', 'ready', 'data', 'end', 'close(false)'])],
  });
});

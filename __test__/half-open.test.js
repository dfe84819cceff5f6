'use strict';
// Half-open TCP: each direction is shut down on its own. The order of
// 'end' / 'finish' / 'close' and readyState at each of them is what protocol
// code (HTTP/1.0 bodies, request-then-shutdown clients) relies on.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const P = require('./helpers/parity');

const note = (rec, text) => rec.note(text);

function props(s) {
  return `readyState=${s.readyState} writable=${s.writable} writableEnded=${s.writableEnded} readableEnded=${s.readableEnded}`;
}

/**
 * Runs a client/server exchange for every pairing. `serverSide(s, rec)` and
 * `clientSide(c, rec)` drive the sockets; both sockets are recorded with their
 * readyState at every event. Resolves when both sockets have closed.
 */
function halfOpenPairs({ serverOptions, clientOptions = {}, serverSide, clientSide }) {
  return P.runPairs(async ({ server, client }, scope) => {
    const srvRec = new P.Recording();
    const srvClosed = P.deferred(20_000, "accepted socket's 'close'");
    const srv = await scope.server(server, {
      options: serverOptions,
      onConnection: (s) => {
        note(srvRec, `accepted ${props(s)}`);
        srvRec.attach(s, { state: true });
        s.on('close', () => srvClosed.resolve());
        serverSide(s, srvRec);
      },
    });
    const c = scope.track(
      client.createConnection({ port: srv.address().port, host: '127.0.0.1', ...clientOptions }),
    );
    const cliRec = new P.Recording();
    note(cliRec, `created ${c.readyState}`);
    cliRec.attach(c, { state: true });
    clientSide(c, cliRec);
    await P.once(c, 'close', { timeoutMs: 20_000, label: 'client' });
    await srvClosed.promise;
    return {
      client: cliRec.view({ state: true }),
      server: srvRec.view({ state: true }),
      clientGot: cliRec.received(),
      serverGot: srvRec.received(),
    };
  });
}

const got = (s) => ({ bytes: Buffer.byteLength(s), sha256: P.sha256(Buffer.from(s)) });

test("client end() still reads the server's reply sent after the client's FIN", { timeout: 60_000 }, async () => {
  // Request-then-shutdown clients (e.g. `nc -N`, HTTP/1.0) send, end, then read.
  const results = await halfOpenPairs({
    serverOptions: { allowHalfOpen: true },
    serverSide: (s) => {
      let n = 0;
      s.on('data', (d) => (n += d.length));
      s.on('end', () => setImmediate(() => s.end(`reply to ${n} bytes`)));
    },
    clientSide: (c) => c.on('connect', () => c.end('hello')),
  });
  P.assertParity(results, {
    client: [
      'created opening@',
      'connect@open',
      // end() was called in the 'connect' listener, before 'ready'
      'ready@readOnly',
      'finish@readOnly',
      'data(16B)@readOnly',
      'end@closed',
      'close(false)@closed',
    ],
    server: [
      'accepted readyState=open writable=true writableEnded=false readableEnded=false@',
      'data(5B)@open',
      'end@writeOnly',
      'finish@closed',
      'close(false)@closed',
    ],
    clientGot: got('reply to 5 bytes'),
    serverGot: got('hello'),
  });
});

test("allowHalfOpen: true keeps the accepted socket writable after 'end'", { timeout: 60_000 }, async () => {
  // The server keeps writing for several turns of the event loop after the
  // client's FIN; nothing may be lost and the socket must not close early.
  const results = await halfOpenPairs({
    serverOptions: { allowHalfOpen: true },
    serverSide: (s, rec) => {
      s.on('end', () => {
        note(rec, `at end: ${props(s)}`);
        s.write('one ');
        setImmediate(() => {
          note(rec, `next turn: ${props(s)}`);
          s.write('two ');
          setTimeout(() => {
            note(rec, `later: ${props(s)}`);
            s.end('three');
          }, 20);
        });
      });
    },
    clientSide: (c) => c.end('request'),
  });
  P.assertParity(results, {
    client: [
      'created opening@',
      // end() was called before the connection was even established
      'connect@readOnly',
      'ready@readOnly',
      'finish@readOnly',
      'data(13B)@readOnly',
      'end@closed',
      'close(false)@closed',
    ],
    server: [
      'accepted readyState=open writable=true writableEnded=false readableEnded=false@',
      'data(7B)@open',
      'end@writeOnly',
      'at end: readyState=writeOnly writable=true writableEnded=false readableEnded=true@',
      'next turn: readyState=writeOnly writable=true writableEnded=false readableEnded=true@',
      'later: readyState=writeOnly writable=true writableEnded=false readableEnded=true@',
      'finish@closed',
      'close(false)@closed',
    ],
    clientGot: got('one two three'),
    serverGot: got('request'),
  });
});

test("allowHalfOpen: false (the default) ends the accepted socket automatically after 'end'", { timeout: 60_000 }, async () => {
  // Without allowHalfOpen the server never calls end(), yet the client must get
  // its 'end' and both sides must close.
  const results = await halfOpenPairs({
    serverOptions: undefined,
    serverSide: (s, rec) => {
      s.on('end', () => {
        note(rec, `at end: ${props(s)}`);
        setImmediate(() => note(rec, `next turn: ${props(s)}`));
      });
    },
    clientSide: (c) => c.on('connect', () => c.end('bye')),
  });
  P.assertParity(results, {
    client: ['created opening@', 'connect@open', 'ready@readOnly', 'finish@readOnly', 'end@closed', 'close(false)@closed'],
    server: [
      'accepted readyState=open writable=true writableEnded=false readableEnded=false@',
      'data(3B)@open',
      'end@writeOnly',
      'at end: readyState=writeOnly writable=true writableEnded=false readableEnded=true@',
      'finish@closed',
      'next turn: readyState=closed writable=false writableEnded=true readableEnded=true@',
      'close(false)@closed',
    ],
    clientGot: got(''),
    serverGot: got('bye'),
  });
});

test('server ends first; an allowHalfOpen client keeps writing after its own end', { timeout: 60_000 }, async () => {
  // The other direction: the server sends a greeting and shuts down its side;
  // the client, with allowHalfOpen, answers after 'end' and only then ends.
  const results = await halfOpenPairs({
    serverOptions: { allowHalfOpen: true },
    clientOptions: { allowHalfOpen: true },
    serverSide: (s) => s.end('greeting'),
    clientSide: (c, rec) => {
      c.on('end', () => {
        note(rec, `at end: ${props(c)}`);
        c.write('late ');
        setImmediate(() => c.end('answer'));
      });
    },
  });
  P.assertParity(results, {
    client: [
      'created opening@',
      'connect@open',
      'ready@open',
      'data(8B)@open',
      'end@writeOnly',
      'at end: readyState=writeOnly writable=true writableEnded=false readableEnded=true@',
      'finish@closed',
      'close(false)@closed',
    ],
    server: [
      'accepted readyState=open writable=true writableEnded=false readableEnded=false@',
      'finish@readOnly',
      'data(11B)@readOnly',
      'end@closed',
      'close(false)@closed',
    ],
    clientGot: got('greeting'),
    serverGot: got('late answer'),
  });
});

test('server ends first; a default (allowHalfOpen: false) client ends automatically', { timeout: 60_000 }, async () => {
  const results = await halfOpenPairs({
    serverOptions: { allowHalfOpen: true },
    serverSide: (s) => s.end('greeting'),
    clientSide: (c, rec) => c.on('end', () => note(rec, `at end: ${props(c)}`)),
  });
  P.assertParity(results, {
    client: [
      'created opening@',
      'connect@open',
      'ready@open',
      'data(8B)@open',
      'end@writeOnly',
      'at end: readyState=writeOnly writable=true writableEnded=false readableEnded=true@',
      'finish@closed',
      'close(false)@closed',
    ],
    server: [
      'accepted readyState=open writable=true writableEnded=false readableEnded=false@',
      'finish@readOnly',
      'end@closed',
      'close(false)@closed',
    ],
    clientGot: got('greeting'),
    serverGot: got(''),
  });
});

test('readyState after close, and writes after the peer FIN on a half-open socket still count', { timeout: 60_000 }, async () => {
  // bytesRead/bytesWritten must include what was exchanged in the half-open phase.
  const results = await halfOpenPairs({
    serverOptions: { allowHalfOpen: true },
    serverSide: (s, rec) => {
      s.resume();
      s.on('end', () => s.end('x'.repeat(1000)));
      s.on('close', () => note(rec, `after close: ${props(s)} read=${s.bytesRead} written=${s.bytesWritten}`));
    },
    clientSide: (c, rec) => {
      c.end('y'.repeat(300));
      c.on('close', () => note(rec, `after close: ${props(c)} read=${c.bytesRead} written=${c.bytesWritten}`));
    },
  });
  assert.ok(results['net->net'].client.length > 0);
  P.assertParity(results, (r, label) => {
    assert.deepStrictEqual(
      r.client.slice(-2),
      [
        'close(false)@closed',
        'after close: readyState=closed writable=false writableEnded=true readableEnded=true read=1000 written=300@',
      ],
      label,
    );
    assert.deepStrictEqual(
      r.server.slice(-2),
      [
        'close(false)@closed',
        'after close: readyState=closed writable=false writableEnded=true readableEnded=true read=300 written=1000@',
      ],
      label,
    );
  });
});

test('a server ending with a large write still queued: the client gets every byte before the FIN', { timeout: 60_000 }, async () => {
  // The client ends at once; the server has 8 MiB queued when its own 'end'
  // arrives. end() twice and destroySoon() must not cut the queued data short.
  const payload = P.randomBytes(8 * 1024 * 1024);
  const results = await halfOpenPairs({
    serverSide: (s) => {
      s.write(payload);
      s.end();
      s.end();
      s.destroySoon();
    },
    clientSide: (c) => c.on('connect', () => c.end('bye')),
  });
  P.assertParity(results, (r, label) => {
    assert.deepStrictEqual(r.clientGot, { bytes: payload.length, sha256: P.sha256(payload) }, label);
  });
  // 'drain' may or may not be emitted depending on buffering: left out.
  const noDrain = (log) => log.filter((e) => !e.startsWith('drain'));
  const ref = results['net->net'];
  assert.deepStrictEqual(noDrain(ref.client), [
    'created opening@',
    'connect@open',
    'ready@readOnly',
    'finish@readOnly',
    `data(${payload.length}B)@readOnly`,
    'end@closed',
    'close(false)@closed',
  ]);
  assert.deepStrictEqual(noDrain(ref.server), [
    'accepted readyState=open writable=true writableEnded=false readableEnded=false@',
    'data(3B)@readOnly',
    'end@closed',
    'finish@closed',
    'close(false)@closed',
  ]);
  for (const [label, r] of Object.entries(results)) {
    assert.deepStrictEqual(noDrain(r.client), noDrain(ref.client), `${label} client differs from net->net`);
    assert.deepStrictEqual(noDrain(r.server), noDrain(ref.server), `${label} server differs from net->net`);
  }
});

test('end() before connect(): the FIN waits for the connection, then goes out', { timeout: 60_000 }, async () => {
  // A socket ended while it has no handle yet is still pending: its 'finish' comes
  // after the connect, and the server sees the end of the (empty) stream.
  const results = await P.runBoth(async (mod, label, scope) => {
    const srvRec = new P.Recording();
    const srvClosed = P.deferred(20_000, "accepted socket's 'close'");
    const srv = await scope.server(P.impls.net, {
      onConnection: (s) => {
        srvRec.attach(s, { state: true });
        s.on('close', () => srvClosed.resolve());
      },
    });
    const c = scope.track(new mod.Socket());
    const cliRec = new P.Recording();
    cliRec.attach(c, { state: true });
    c.end();
    note(cliRec, `after end() ${props(c)} writableFinished=${c.writableFinished}`);
    c.connect(srv.address().port, '127.0.0.1');
    await P.once(c, 'close', { timeoutMs: 20_000, label: 'client' });
    await srvClosed.promise;
    return { client: cliRec.view({ state: true }), server: srvRec.view({ state: true }) };
  });
  P.assertParity(results, {
    client: [
      'after end() readyState=readOnly writable=false writableEnded=true readableEnded=false writableFinished=false@',
      'connect@open',
      'ready@open',
      'end@writeOnly',
      'finish@closed',
      'close(false)@closed',
    ],
    server: ['end@writeOnly', 'finish@closed', 'close(false)@closed'],
  });
});

test("end() on a socket never connected: no 'finish', the stream stays unfinished", { timeout: 30_000 }, async () => {
  const results = await P.runBoth(async (mod) => {
    const c = new mod.Socket();
    const events = [];
    for (const name of ['prefinish', 'finish', 'close', 'error']) c.on(name, () => events.push(name));
    c.end();
    // Nothing is pending that could still finish it; one full turn lets any
    // wrongly scheduled 'finish' show up.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const state = { events: [...events], writableFinished: c.writableFinished, writableEnded: c.writableEnded, pending: c.pending };
    c.destroy();
    return state;
  });
  P.assertParity(results, { events: [], writableFinished: false, writableEnded: true, pending: true });
});

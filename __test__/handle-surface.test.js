'use strict';
// What Node's own modules reach for on a socket's or server's handle (`_handle`):
// the http client (getAsyncId), the http Agent when it hands a kept-alive socket to a
// new request (asyncReset, getProviderType, getAsyncId), the http server (reading,
// readStart, readStop), legacy code (owner), and Node's write verbs when misused.
// Every scenario runs with built-in net (the oracle) and with rsnet, and both must
// record the same thing.
const { test, after } = require('node:test');
const http = require('node:http');
const { AsyncLocalStorage, asyncWrapProviders, createHook, executionAsyncId } = require('node:async_hooks');
const { runBoth, check } = require('./helpers/outcomes');
const { within, once, listen, closed, track, exitGuard, reg, tmpDir } = require('./fixtures/util');

exitGuard(after, 'handle-surface.test.js');

const T = { timeout: 20000 };
// Node's private async_id_symbol, which the Agent sets on the sockets it frees and
// reuses (Node's test-async-hooks-http-agent reads it); every net.Socket carries it.
const asyncIdSymbol = Object.getOwnPropertySymbols(new (require('node:net').Socket)())
  .find((s) => s.description === 'async_id_symbol');

// An http server (Node's, on built-in net) that answers every request with its URL.
async function echoUrlServer() {
  const server = reg(http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(`hi ${req.url}`));
  }));
  const { port } = await listen(server, 0, '127.0.0.1');
  return { server, port };
}

// A keep-alive Agent whose connections are made by `mod`.
function agentOver(mod) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  agent.createConnection = (options, cb) => reg(mod.createConnection(options, cb));
  return agent;
}

function get(agent, port, path) {
  return within(new Promise((resolve, reject) => {
    const req = http.get({ agent, port, host: '127.0.0.1', path }, (res) => {
      // The Agent detaches the socket from the response once it ends.
      const { socket } = res;
      const ids = { socket: socket[asyncIdSymbol], handle: socket._handle.getAsyncId() };
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ socket, body, reused: req.reusedSocket, ids }));
    });
    req.on('error', reject);
  }), 5000, `GET ${path}`);
}

// The agent frees the socket on the response's end, and keeps it on the next tick.
const agentKeptIt = (agent) => within(new Promise((resolve) => agent.once('free', () => setImmediate(resolve))), 5000, "agent 'free'");

test('http keep-alive Agent over createConnection: the second request reuses the socket', T, async () => {
  const out = await runBoth(async (mod) => {
    const { port } = await echoUrlServer();
    const agent = agentOver(mod);
    try {
      const kept = agentKeptIt(agent);
      const first = await get(agent, port, '/1');
      await kept;
      const second = await get(agent, port, '/2');
      return {
        bodies: [first.body, second.body],
        reused: [first.reused, second.reused],
        sameSocket: first.socket === second.socket,
        isModSocket: second.socket instanceof mod.Socket,
      };
    } finally {
      agent.destroy();
    }
  });
  check(out, { bodies: ['hi /1', 'hi /2'], reused: [false, true], sameSocket: true, isModSocket: true });
});

// Node's test-async-local-storage-http-agent: the Agent gives a reused socket's handle a
// new async id (asyncReset) in the context of the request that takes it over.
test('AsyncLocalStorage: a reused keep-alive socket serves the second request in its own context', T, async () => {
  const out = await runBoth(async (mod) => {
    const als = new AsyncLocalStorage();
    const { port } = await echoUrlServer();
    const agent = agentOver(mod);
    const seen = [];
    const fetchIn = (store, path) => als.run(store, () => within(new Promise((resolve, reject) => {
      const req = http.get({ agent, port, host: '127.0.0.1', path }, (res) => {
        seen.push(`${path} response: ${als.getStore()}`);
        res.on('data', () => seen.push(`${path} data: ${als.getStore()}`));
        res.on('end', () => {
          seen.push(`${path} end: ${als.getStore()}`);
          resolve();
        });
      });
      // The socket's own events run in its handle's context: the reused one's too.
      req.on('socket', (socket) => socket.once('data', () => seen.push(`${path} socket data: ${als.getStore()}`)));
      req.on('error', reject);
    }), 5000, `GET ${path}`));
    try {
      const kept = agentKeptIt(agent);
      await fetchIn('first', '/1');
      await kept;
      await fetchIn('second', '/2');
      return seen;
    } finally {
      agent.destroy();
    }
  });
  check(out, [
    '/1 response: first', '/1 socket data: first', '/1 data: first', '/1 end: first',
    '/2 response: second', '/2 socket data: second', '/2 data: second', '/2 end: second',
  ]);
});

test("Node's test-async-hooks-http-agent: the socket's async id is -1 while free, the handle's new id once reused", T, async () => {
  const out = await runBoth(async (mod) => {
    const { port } = await echoUrlServer();
    const agent = agentOver(mod);
    try {
      const kept = agentKeptIt(agent);
      const first = await get(agent, port, '/1');
      await kept;
      const whileFree = first.socket[asyncIdSymbol];
      const second = await get(agent, port, '/2');
      return {
        firstIsHandleId: first.ids.socket > 0 && first.ids.socket === first.ids.handle,
        whileFree,
        secondIsNewHandleId: second.ids.socket > first.ids.socket && second.ids.socket === second.ids.handle,
        sameSocket: first.socket === second.socket,
        idSymbols: Object.getOwnPropertySymbols(second.socket).filter((s) => s.description === 'async_id_symbol').length,
      };
    } finally {
      agent.destroy();
    }
  });
  check(out, { firstIsHandleId: true, whileFree: -1, secondIsNewHandleId: true, sameSocket: true, idSymbols: 1 });
});

test('async_hooks: the reused handle gets a new TCPWRAP id (init), the old one is destroyed', T, async () => {
  const out = await runBoth(async (mod) => {
    const { port } = await echoUrlServer();
    const agent = agentOver(mod);
    const inits = new Map();
    const destroyed = new Set();
    let onDestroy = () => {};
    const hook = createHook({
      init(id, type) { inits.set(id, type); },
      destroy(id) {
        destroyed.add(id);
        onDestroy(id);
      },
    }).enable();
    try {
      const kept = agentKeptIt(agent);
      const first = await get(agent, port, '/1');
      const handle = first.socket._handle;
      const before = handle.getAsyncId();
      await kept;
      const oldGone = destroyed.has(before) ? Promise.resolve() :
        within(new Promise((resolve) => { onDestroy = (id) => id === before && resolve(); }), 5000, 'destroy of the old id');
      const second = await get(agent, port, '/2');
      const afterId = second.socket._handle.getAsyncId();
      await oldGone;
      return {
        sameHandle: second.socket._handle === handle,
        firstWasTcpWrap: inits.get(before),
        newId: afterId !== before && afterId > before,
        newIdType: inits.get(afterId),
        oldDestroyed: destroyed.has(before),
        providerType: handle.getProviderType() === asyncWrapProviders.TCPWRAP,
      };
    } finally {
      hook.disable();
      agent.destroy();
    }
  });
  check(out, {
    sameHandle: true, firstWasTcpWrap: 'TCPWRAP', newId: true, newIdType: 'TCPWRAP', oldDestroyed: true, providerType: true,
  });
});

// An http.Server handed the module's connections: Node's http server pauses and resumes
// them through the handle (reading, readStart, readStop) between pipelined requests.
test('http.Server over the connections of a module server: keep-alive and pipelined requests', T, async () => {
  const out = await runBoth(async (mod) => {
    const httpServer = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => setImmediate(() => res.end(`hi ${req.url}`)));
    });
    const server = reg(mod.createServer((socket) => httpServer.emit('connection', socket)));
    const { port } = await listen(server, 0, '127.0.0.1');
    // A built-in client pipelines three requests on one connection.
    const client = track(require('node:net').connect(port, '127.0.0.1'));
    let text = '';
    client.setEncoding('latin1');
    client.on('data', (d) => { text += d; });
    client.write(['/a', '/b', '/c'].map((p, i) =>
      `GET ${p} HTTP/1.1\r\nHost: x\r\n${i === 2 ? 'Connection: close\r\n' : ''}\r\n`).join(''));
    await closed(client);
    httpServer.close();
    return text.match(/HTTP\/1\.1 \d+ \w+|hi \/\w/g);
  });
  check(out, ['HTTP/1.1 200 OK', 'hi /a', 'HTTP/1.1 200 OK', 'hi /b', 'HTTP/1.1 200 OK', 'hi /c']);
});

// What a connected socket's and a listening server's handles answer, as Node's do.
for (const kind of ['tcp', 'pipe']) {
  test(`the ${kind} handle surface Node's modules use: async ids, provider types, owner, counters`, T, async () => {
    const dir = tmpDir();
    const out = await runBoth(async (mod) => {
      let serverSide;
      const server = reg(mod.createServer((s) => {
        serverSide = s;
        s.on('data', (d) => s.write(d));
      }));
      const listenArgs = kind === 'tcp' ? [0, '127.0.0.1'] : [`${dir}/${mod === require('node:net') ? 'n' : 'r'}.sock`];
      await listen(server, ...listenArgs);
      const address = server.address();
      const client = track(kind === 'tcp' ? mod.connect(address.port, '127.0.0.1') : mod.connect(address));
      await once(client, 'connect');
      client.write('12345');
      // A read runs in the handle's own async resource.
      const [dataId] = await within(new Promise((resolve) => client.once('data', () => resolve([executionAsyncId()]))), 5000, 'data');
      const h = client._handle;
      const sh = server._handle;
      const members = ['getAsyncId', 'getProviderType', 'asyncReset', 'readStart', 'readStop', 'shutdown', 'close', 'ref', 'unref',
        'hasRef', 'writeBuffer', 'writev', 'setNoDelay', 'setKeepAlive'];
      const result = {
        socketMembers: Object.fromEntries(members.map((m) => [m, typeof h[m]])),
        serverMembers: Object.fromEntries(['getAsyncId', 'getProviderType', 'listen', 'close', 'ref', 'unref'].map((m) => [m, typeof sh[m]])),
        types: {
          fd: typeof h.fd, bytesRead: h.bytesRead, bytesWritten: h.bytesWritten, writeQueueSize: h.writeQueueSize, reading: h.reading,
        },
        // A socket's callbacks run in its handle's async resource.
        readRanInHandle: dataId === h.getAsyncId(),
        serverIdIsNumber: Number.isInteger(sh.getAsyncId()) && sh.getAsyncId() > 0,
        provider: h.getProviderType() === asyncWrapProviders[kind === 'tcp' ? 'TCPWRAP' : 'PIPEWRAP'],
        serverProvider: sh.getProviderType() === asyncWrapProviders[kind === 'tcp' ? 'TCPSERVERWRAP' : 'PIPESERVERWRAP'],
        acceptedProvider: serverSide._handle.getProviderType() === asyncWrapProviders[kind === 'tcp' ? 'TCPWRAP' : 'PIPEWRAP'],
        ownerSymbol: Object.getOwnPropertySymbols(h).filter((s) => h[s] === client).map((s) => s.description),
      };
      // Node defines the legacy `owner` alias on TCP handles only.
      if (kind === 'tcp') result.owner = [h.owner === client, sh.owner === server];
      client.destroy();
      await closed(client);
      return result;
    });
    const expected = {
      socketMembers: {
        getAsyncId: 'function', getProviderType: 'function', asyncReset: 'function', readStart: 'function', readStop: 'function',
        shutdown: 'function', close: 'function', ref: 'function', unref: 'function', hasRef: 'function', writeBuffer: 'function', writev: 'function', setNoDelay: kind === 'tcp' ? 'function' : 'undefined',
        setKeepAlive: kind === 'tcp' ? 'function' : 'undefined',
      },
      serverMembers: { getAsyncId: 'function', getProviderType: 'function', listen: 'function', close: 'function', ref: 'function', unref: 'function' },
      types: { fd: 'number', bytesRead: 5, bytesWritten: 5, writeQueueSize: 0, reading: true },
      readRanInHandle: true,
      serverIdIsNumber: true,
      provider: true,
      serverProvider: true,
      acceptedProvider: true,
      ownerSymbol: ['owner_symbol'],
    };
    if (kind === 'tcp') expected.owner = [true, true];
    // rsnet's one handle class serves TCP and pipes alike: it has the TCP-only verbs.
    if (kind === 'pipe' && out.rsnet.socketMembers) {
      out.rsnet.socketMembers.setNoDelay = 'undefined';
      out.rsnet.socketMembers.setKeepAlive = 'undefined';
    }
    check(out, expected);
  });
}

// Node's test-stream-base-typechecking, and a direct call of the handle's writeBuffer
// with Node's arguments (a request object, then the data).
test("write(string, 'buffer') and handle.writeBuffer(req, string): Node's native type error", T, async () => {
  const out = await runBoth(async (mod) => {
    const server = reg(mod.createServer((s) => s.resume()));
    const { port } = await listen(server, 0, '127.0.0.1');
    const client = track(mod.connect(port, '127.0.0.1'));
    await once(client, 'connect');
    const caught = (fn) => {
      try {
        fn();
        return 'no throw';
      } catch (e) {
        return { ctor: e.constructor.name, code: e.code, message: e.message, keys: Object.keys(e), head: e.stack.split('\n')[0] };
      }
    };
    const result = {
      write: caught(() => client.write('broken', 'buffer')),
      writeBuffer: caught(() => client._handle.writeBuffer({}, 'test')),
    };
    client.destroy();
    await closed(client);
    return result;
  });
  const typeError = {
    ctor: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'Second argument must be a buffer', keys: ['code'],
    head: 'TypeError: Second argument must be a buffer',
  };
  check(out, { write: typeError, writeBuffer: typeError });
});

// Corked writes go out in one writev; Node's native writev encodes a string written
// with the encoding 'buffer' as UTF-8 (write() alone refuses it, see above).
test("corked write(string, 'buffer') goes out as UTF-8, as Node's writev sends it", T, async () => {
  const out = await runBoth(async (mod) => {
    let got = '';
    const ended = new Promise((resolve) => {
      const server = reg(mod.createServer((s) => {
        s.setEncoding('latin1');
        s.on('data', (d) => { got += d; });
        s.on('end', resolve);
      }));
      listen(server, 0, '127.0.0.1').then(({ port }) => {
        const client = track(mod.connect(port, '127.0.0.1', () => {
          client.cork();
          client.write('é1', 'buffer');
          client.write('b2', 'latin1');
          client.write(Buffer.from('c3'));
          client.uncork();
          client.end();
        }));
      });
    });
    await within(ended, 5000, "server 'end'");
    return got;
  });
  check(out, 'Ã©1b2c3');
});

// Node's test-handle-wrap-hasref and net's own use of its handles: close(callback) and
// reset(callback) call back once, from the close phase (after this turn's immediates);
// a closed handle holds no ref; a second close is ignored.
test('handle.close(cb) / handle.reset(cb): the callback comes from the close phase, once; hasRef() false after', T, async () => {
  const out = await runBoth(async (mod) => {
    const seen = [];
    const server = reg(mod.createServer((s) => s.on('error', () => {})));
    await listen(server, 0, '127.0.0.1');
    const refs = [server._handle.hasRef()];
    server.unref();
    refs.push(server._handle.hasRef());
    server.ref();
    refs.push(server._handle.hasRef());
    const client = track(mod.connect(server.address().port, '127.0.0.1'));
    client.on('error', () => {});
    await once(client, 'connect');
    const sh = server._handle;
    const ch = client._handle;
    const done = within(new Promise((resolve) => {
      let left = 2;
      const settle = () => { if (--left === 0) setImmediate(resolve); };
      sh.close(() => {
        seen.push(`server handle closed, hasRef ${sh.hasRef()}`);
        settle();
      });
      sh.close(() => seen.push('second close called back'));
      ch.reset(() => {
        seen.push(`socket handle reset, hasRef ${ch.hasRef()}`);
        settle();
      });
      setImmediate(() => seen.push('immediate'));
      process.nextTick(() => seen.push('tick'));
    }), 5000, 'close callbacks');
    await done;
    // The socket's own handle was closed under it: no 'close' of its own comes.
    return { refs, seen };
  });
  check(out, {
    refs: [true, false, true],
    seen: ['tick', 'immediate', 'socket handle reset, hasRef false', 'server handle closed, hasRef false'],
  });
});

// The address verbs in Node's form: getsockname(out) / getpeername(out) fill `out` and
// return 0; server.address() and socket.localPort read the handle that way, so a verb
// replaced on the handle (Node's test-socket-address) is obeyed: an errno throws.
test('handle.getsockname(out) / getpeername(out); a replaced getsockname makes address() throw its errno', T, async () => {
  const out = await runBoth(async (mod) => {
    const server = reg(mod.createServer((s) => s.on('error', () => {})));
    const { port } = await listen(server, 0, '127.0.0.1');
    const client = track(mod.connect(port, '127.0.0.1'));
    await once(client, 'connect');
    const local = {};
    const peer = {};
    const result = {
      sockname: [client._handle.getsockname(local), local.port === client.localPort, local.address, local.family],
      peername: [client._handle.getpeername(peer), peer.port === port, peer.address, peer.family],
    };
    server._handle.getsockname = () => -22;
    try {
      server.address();
      result.address = 'no throw';
    } catch (e) {
      result.address = { code: e.code, errno: e.errno, syscall: e.syscall, message: e.message };
    }
    client.destroy();
    await closed(client);
    return result;
  });
  check(out, {
    sockname: [0, true, '127.0.0.1', 'IPv4'],
    peername: [0, true, '127.0.0.1', 'IPv4'],
    address: { code: 'EINVAL', errno: -22, syscall: 'address', message: 'address EINVAL' },
  });
});

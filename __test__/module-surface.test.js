'use strict';
// The module's surface, rsnet vs built-in net: isIP/isIPv4/isIPv6 over a table of
// inputs, the exports and their types, the classes and their aliases, the public
// members of Socket and Server, and the autoSelectFamily defaults.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const stream = require('stream');
const EventEmitter = require('events');
const builtin = require('net');
const { implList } = require('./helpers/harness');
const { exitGuard } = require('./fixtures/util');

exitGuard(after, 'module-surface.test.js');

const IMPLS = implList();
const rsnet = IMPLS[1][1];

const IP_TABLE = [
  // [input, isIP, isIPv4, isIPv6]
  ['127.0.0.1', 4, true, false],
  ['0.0.0.0', 4, true, false],
  ['255.255.255.255', 4, true, false],
  ['256.0.0.1', 0, false, false],
  ['1.2.3', 0, false, false],
  ['1.2.3.4.5', 0, false, false],
  ['01.2.3.4', 0, false, false],
  ['1.2.3.04', 0, false, false],
  [' 1.2.3.4', 0, false, false],
  ['1.2.3.4 ', 0, false, false],
  ['1.2.3.4\n', 0, false, false],
  ['0x7f.0.0.1', 0, false, false],
  ['127.1', 0, false, false],
  ['1.2.3.4/24', 0, false, false],
  ['\u0661\u0662\u0667.0.0.1', 0, false, false],
  ['::', 6, false, true],
  ['::1', 6, false, true],
  ['0:0:0:0:0:0:0:0', 6, false, true],
  ['::ffff:127.0.0.1', 6, false, true],
  ['::FFFF:127.0.0.1', 6, false, true],
  ['::ffff:0:127.0.0.1', 6, false, true],
  ['::ffff:1.2.3.256', 0, false, false],
  ['fe80::1%eth0', 6, false, true],
  ['fe80::1%1', 6, false, true],
  ['fe80::1%', 0, false, false],
  ['fe80::1%eth0%1', 0, false, false],
  ['fe80::1%en 0', 0, false, false],
  ['%eth0', 0, false, false],
  ['FE80::1', 6, false, true],
  ['2001:db8::1', 6, false, true],
  ['2001:0db8:0000:0000:0000:0000:0000:0001', 6, false, true],
  ['2001:db8::1::1', 0, false, false],
  [':::1', 0, false, false],
  ['1:2:3:4:5:6:7:8', 6, false, true],
  ['1:2:3:4:5:6:7:8:9', 0, false, false],
  ['1::8', 6, false, true],
  ['::1.2.3.4', 6, false, true],
  ['1:2:3:4:5:6:1.2.3.4', 6, false, true],
  ['1:2:3:4:5:6:7:1.2.3.4', 0, false, false],
  ['[::1]', 0, false, false],
  ['gggg::1', 0, false, false],
  ['localhost', 0, false, false],
  ['', 0, false, false],
  ['abc', 0, false, false],
  ['1e3', 0, false, false],
  [123, 0, false, false],
  [2130706433, 0, false, false],
  [null, 0, false, false],
  [undefined, 0, false, false],
  [true, 0, false, false],
  [NaN, 0, false, false],
  [{}, 0, false, false],
  [[], 0, false, false],
  [['127.0.0.1'], 4, true, false],
  [{ toString() { return '127.0.0.1'; } }, 4, true, false],
  [new String('::1'), 6, false, true],  
];

function ipOutcome(mod, input) {
  return ['isIP', 'isIPv4', 'isIPv6'].map((f) => {
    try {
      return mod[f](input);
    } catch (e) {
      return `throws ${e.constructor.name}: ${e.message}`;
    }
  });
}

test(`isIP / isIPv4 / isIPv6 over ${IP_TABLE.length + 2} inputs`, { timeout: 10000 }, async (t) => {
  for (const [input, ip, v4, v6] of IP_TABLE) {
    const label = typeof input === 'string' ? JSON.stringify(input) : `${typeof input} ${Array.isArray(input) ? JSON.stringify(input) : String(input)}`;
    await t.test(label, () => {
      const n = ipOutcome(builtin, input);
      assert.deepStrictEqual(n, [ip, v4, v6], 'TEST BUG: built-in net disagrees with the table');
      assert.deepStrictEqual(ipOutcome(rsnet, input), n, 'rsnet differs from built-in net');
    });
  }
  await t.test('no argument', () => {
    const n = [builtin.isIP(), builtin.isIPv4(), builtin.isIPv6()];
    assert.deepStrictEqual(n, [0, false, false]);
    assert.deepStrictEqual([rsnet.isIP(), rsnet.isIPv4(), rsnet.isIPv6()], n);
  });
  await t.test('Symbol input throws like net (template-string conversion)', () => {
    const sym = Symbol('x');
    const n = ipOutcome(builtin, sym);
    assert.deepStrictEqual(n, Array(3).fill('throws TypeError: Cannot convert a Symbol value to a string'));
    assert.deepStrictEqual(ipOutcome(rsnet, sym), n);
  });
});

test('module exports: same keys as require("net")', { timeout: 5000 }, () => {
  const want = Object.keys(builtin).sort();
  const have = Object.keys(rsnet).sort();
  const missing = want.filter((k) => !have.includes(k));
  const extra = have.filter((k) => !want.includes(k));
  assert.deepStrictEqual({ missing, extra }, { missing: [], extra: [] },
    `rsnet exports differ from net: missing [${missing.join(', ')}], extra [${extra.join(', ')}]`);
});

test('module exports: each export has the same typeof as in net', { timeout: 5000 }, () => {
  const n = Object.fromEntries(Object.keys(builtin).map((k) => [k, typeof builtin[k]]));
  const r = Object.fromEntries(Object.keys(builtin).map((k) => [k, typeof rsnet[k]]));
  assert.deepStrictEqual(r, n);
});

test('classes and aliases: Server/Socket callable without new, Stream === Socket, connect === createConnection', { timeout: 10000 }, () => {
  const facts = (net) => {
    const srv = net.Server();
    const srv2 = net.Server({ allowHalfOpen: true }, () => {});
    const sock = net.Socket();
    const viaCreate = net.createServer();
    const res = {
      streamIsSocket: net.Stream === net.Socket,
      connectIsCreateConnection: net.connect === net.createConnection,
      serverWithoutNew: srv instanceof net.Server,
      serverWithoutNewOptions: srv2 instanceof net.Server && srv2.listenerCount('connection'),
      serverIsEmitter: srv instanceof EventEmitter,
      createServerInstance: viaCreate instanceof net.Server,
      socketWithoutNew: sock instanceof net.Socket,
      socketIsDuplex: sock instanceof stream.Duplex,
      socketIsStream: sock instanceof net.Stream,
      socketIsEmitter: sock instanceof EventEmitter,
      serverName: net.Server.name,
      socketName: net.Socket.name,
      serverAddressBeforeListen: srv.address(),
      serverListening: srv.listening,
      socketAddressBeforeConnect: sock.address(),
      socketReadyState: sock.readyState,
      socketPending: sock.pending,
      socketConnecting: sock.connecting,
    };
    sock.destroy();
    return res;
  };
  const n = facts(builtin);
  assert.deepStrictEqual(n, {
    streamIsSocket: true,
    connectIsCreateConnection: true,
    serverWithoutNew: true,
    serverWithoutNewOptions: 1,
    serverIsEmitter: true,
    createServerInstance: true,
    socketWithoutNew: true,
    socketIsDuplex: true,
    socketIsStream: true,
    socketIsEmitter: true,
    serverName: 'Server',
    socketName: 'Socket',
    serverAddressBeforeListen: null,
    serverListening: false,
    socketAddressBeforeConnect: {},
    socketReadyState: 'open', // sic: a fresh, never-connected Socket reports 'open' on v20
    socketPending: true,
    socketConnecting: false,
  });
  assert.deepStrictEqual(facts(rsnet), n);
});

test('public Socket / Server members exist with the same typeof as in net', { timeout: 5000 }, () => {
  const SOCKET = ['address', 'connect', 'destroy', 'destroySoon', 'end', 'pause', 'resume', 'ref', 'unref',
    'resetAndDestroy', 'setEncoding', 'setKeepAlive', 'setNoDelay', 'setTimeout', 'write', 'cork', 'uncork', 'pipe',
    'bufferSize', 'bytesRead', 'bytesWritten', 'connecting', 'destroyed', 'localAddress', 'localPort', 'localFamily',
    'pending', 'readyState', 'remoteAddress', 'remoteFamily', 'remotePort', 'timeout', 'allowHalfOpen',
    'writableLength', 'readableFlowing', 'autoSelectFamilyAttemptedAddresses', '_getpeername', '_unrefTimer', '_handle'];
  const SERVER = ['address', 'close', 'getConnections', 'listen', 'ref', 'unref', 'listening', 'maxConnections'];
  const kinds = (net) => {
    const s = new net.Socket();
    const v = new net.Server();
    const out = {
      socket: Object.fromEntries(SOCKET.map((k) => [k, k in s ? typeof s[k] : 'MISSING'])),
      server: Object.fromEntries(SERVER.map((k) => [k, k in v ? typeof v[k] : 'MISSING'])),
      asyncDispose: typeof v[Symbol.asyncDispose],
    };
    s.destroy();
    return out;
  };
  const n = kinds(builtin);
  assert.equal(n.socket.setNoDelay, 'function');
  assert.equal(n.server.listen, 'function');
  assert.deepStrictEqual(kinds(rsnet), n);
});

test('getDefaultAutoSelectFamily* defaults, setters validate and clamp like net', { timeout: 5000 }, () => {
  const probe = (net) => {
    const res = {};
    const origFamily = net.getDefaultAutoSelectFamily();
    const origTimeout = net.getDefaultAutoSelectFamilyAttemptTimeout();
    res.defaults = [origFamily, origTimeout];
    const attempt = (f, ...a) => {
      try { return ['ok', net[f](...a)]; } catch (e) { return ['throws', e.constructor.name, e.code, e.message]; }
    };
    try {
      res.setFamilyX = attempt('setDefaultAutoSelectFamily', 'x');
      res.setFamilyFalse = attempt('setDefaultAutoSelectFamily', false);
      res.familyAfter = net.getDefaultAutoSelectFamily();
      res.setTimeoutX = attempt('setDefaultAutoSelectFamilyAttemptTimeout', 'x');
      res.setTimeoutNeg = attempt('setDefaultAutoSelectFamilyAttemptTimeout', -1);
      res.setTimeout0 = attempt('setDefaultAutoSelectFamilyAttemptTimeout', 0);
      res.setTimeout5 = attempt('setDefaultAutoSelectFamilyAttemptTimeout', 5);
      res.timeoutAfter5 = net.getDefaultAutoSelectFamilyAttemptTimeout();
      res.setTimeout1234 = attempt('setDefaultAutoSelectFamilyAttemptTimeout', 1234);
      res.timeoutAfter1234 = net.getDefaultAutoSelectFamilyAttemptTimeout();
    } finally {
      net.setDefaultAutoSelectFamily(origFamily);
      net.setDefaultAutoSelectFamilyAttemptTimeout(origTimeout);
    }
    return res;
  };
  const n = probe(builtin);
  assert.deepStrictEqual(n, {
    defaults: [true, 250],
    setFamilyX: ['throws', 'TypeError', 'ERR_INVALID_ARG_TYPE', `The "value" argument must be of type boolean. Received type string ('x')`],
    setFamilyFalse: ['ok', undefined],
    familyAfter: false,
    setTimeoutX: ['throws', 'TypeError', 'ERR_INVALID_ARG_TYPE', `The "value" argument must be of type number. Received type string ('x')`],
    setTimeoutNeg: ['throws', 'RangeError', 'ERR_OUT_OF_RANGE', 'The value of "value" is out of range. It must be >= 1 && <= 2147483647. Received -1'],
    setTimeout0: ['throws', 'RangeError', 'ERR_OUT_OF_RANGE', 'The value of "value" is out of range. It must be >= 1 && <= 2147483647. Received 0'],
    setTimeout5: ['ok', undefined],
    timeoutAfter5: 10,
    setTimeout1234: ['ok', undefined],
    timeoutAfter1234: 1234,
  });
  assert.deepStrictEqual(probe(rsnet), n);
});

'use strict';
// The bad (and a few good) values that bad-input calls are built from. Values are
// made by name, inside the child that uses them, because Symbols, Proxies and
// throwing getters cannot cross a process boundary: the parent and both children
// regenerate the same call list from the seed and refer to values by name.

// ctx: { tmp, livePort, deadPort, record } set up by the child before the calls.
function makeValue(name, ctx) {
  switch (name) {
    case 'undefined': return undefined;
    case 'null': return null;
    case 'NaN': return NaN;
    case '-1': return -1;
    case '0': return 0;
    case '1': return 1;
    case '65535': return 65535;
    case '65536': return 65536;
    case '1.5': return 1.5;
    case '-0.5': return -0.5;
    case '0.1': return 0.1;
    case 'Infinity': return Infinity;
    case '-Infinity': return -Infinity;
    case '2**31': return 2 ** 31;
    case '2**53': return 2 ** 53;
    case 'true': return true;
    case 'false': return false;
    case "''": return '';
    case "'abc'": return 'abc';
    case "'-1'": return '-1';
    case "'65536'": return '65536';
    case "' 80 '": return ' 80 ';
    case "'0x10'": return '0x10';
    case "'1e3'": return '1e3';
    case "'\\0'": return '\0';
    case 'hugeString': return 'a'.repeat(1 << 20);
    case 'Symbol()': return Symbol('bad');
    case '1n': return 1n;
    case 'callback': return ctx.record; // a function that records how it was called
    case '{}': return {};
    case '[]': return [];
    case '[1,2]': return [1, 2];
    case 'Buffer': return Buffer.from('hi');
    case 'Uint8Array': return new Uint8Array([1, 2, 3]);
    case 'ArrayBuffer': return new ArrayBuffer(4);
    case 'Date': return new Date(0);
    case 'throwingGetters':
      // Every property read throws: checks that validation errors propagate as-is.
      return new Proxy({}, { get(t, k) { if (typeof k === 'symbol') return undefined; throw new Error(`getter ${String(k)} throws`); } });
    case 'throwingGetterPort':
      return { get port() { throw new RangeError('port getter throws'); }, host: '127.0.0.1' };
    case 'proxyAllUndefined': return new Proxy({}, { get() { return undefined; } });
    case 'proxyHas': return new Proxy({ port: 1 }, { has() { throw new TypeError('has trap throws'); } });
    case 'nullProto': return Object.create(null);
    case 'longUnixPath': return `${ctx.tmp}/${'p'.repeat(150)}`; // > sun_path (108)
    case 'missingUnixPath': return `${ctx.tmp}/missing.sock`;
    case 'dirAsPath': return ctx.tmp;
    case "'utf-9'": return 'utf-9';
    case "'hex'": return 'hex';
    case "'latin1'": return 'latin1';
    case "'UTF8'": return 'UTF8';
    case 'livePort': return ctx.livePort;
    case 'deadPort': return ctx.deadPort;
    case "'livePort'": return String(ctx.livePort);
    case "'127.0.0.1'": return '127.0.0.1';
    case "'::1'": return '::1';
    case "'localhost'": return 'localhost';
    case "'1.2.3'": return '1.2.3';
    case "'::ffff:127.0.0.1'": return '::ffff:127.0.0.1';
    case "'0.0.0.0'": return '0.0.0.0';
    case "'fe80::1%lo'": return 'fe80::1%lo'; // scoped IPv6 on the loopback interface
    case "'::1%lo'": return '::1%lo';
    case "'fe80::1%nosuchif'": return 'fe80::1%nosuchif';
    case 'abortedSignal': return AbortSignal.abort();
    case 'liveSignal': return new AbortController().signal;
    case 'badLookup': return (host, opts, cb) => cb(new Error('lookup failed on purpose'));
    case 'throwingLookup': return () => { throw new TypeError('lookup throws'); };
    case 'lookupBadAddr': return (host, opts, cb) => cb(null, 'not-an-ip', 4);
    case 'lookupLive': return (host, opts, cb) => (opts && opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4));
    default: throw new Error(`no bad value named ${name}`);
  }
}

// Scalars used for any argument; objects with option keys are built on top.
const SCALARS = [
  'undefined', 'null', 'NaN', '-1', '0', '1', '65535', '65536', '1.5', '-0.5', '0.1', 'Infinity',
  '-Infinity', '2**31', '2**53', 'true', 'false', "''", "'abc'", "'-1'", "'65536'", "' 80 '",
  "'0x10'", "'1e3'", "'\\0'", 'hugeString', 'Symbol()', '1n', 'callback', '{}', '[]', '[1,2]',
  'Buffer', 'Uint8Array', 'ArrayBuffer', 'Date', 'throwingGetters', 'throwingGetterPort',
  'proxyAllUndefined', 'proxyHas', 'nullProto', 'longUnixPath', 'missingUnixPath', 'dirAsPath',
  "'utf-9'", "'hex'", 'livePort', 'deadPort', "'livePort'", "'127.0.0.1'", "'::1'",
];

// Values per option key: the scalars plus what is specific to the key. A few keys
// get a narrower pool on purpose: `fd` never gets 0/1/2 (adopting and then
// destroying the child's own stdio would break the harness, not test rsnet), and
// hosts never get names that need real DNS (traffic stays on loopback).
const HOSTS = ["'127.0.0.1'", "'::1'", "'localhost'", "''", "'1.2.3'", "'::ffff:127.0.0.1'", "'0.0.0.0'",
  "'fe80::1%lo'", "'::1%lo'", "'fe80::1%nosuchif'", 'NaN', '1', 'Symbol()', '{}', 'throwingGetters', 'hugeString', 'null', 'undefined', 'true'];
const PORTS = ['livePort', 'deadPort', "'livePort'", '0', '-1', '65535', '65536', 'NaN', '1.5', '-0.5', 'Infinity', "''", "'abc'", "' 80 '", "'0x10'", "'1e3'", 'null', 'undefined', 'true', 'Symbol()', '1n', '{}', '[]', 'Date', '2**31'];
const TIMEOUTS = ['0', '1', '1.5', '-1', '-0.5', '0.1', 'NaN', 'Infinity', '2**31', '2**53', "'abc'", "'10'", 'null', 'undefined', 'true', 'Symbol()', '1n', '{}', 'callback'];
const FDS = ['-1', 'NaN', '1.5', '65536', '2**31', "'abc'", '{}', 'null', 'undefined', 'true'];
const ENCODINGS = ["'utf-9'", "'hex'", "'latin1'", "'UTF8'", "''", 'null', 'undefined', '1', 'NaN', 'Symbol()', '{}', 'callback', 'hugeString'];
const BOOLS = ['true', 'false', 'undefined', 'null', '0', '1', "'abc'", 'NaN', 'Symbol()', '{}', '-1', '1.5', 'Infinity', 'callback'];
const PATHS = ['longUnixPath', 'missingUnixPath', 'dirAsPath', "''", 'Buffer', '1', 'NaN', 'null', 'undefined', 'Symbol()', '{}', "'\\0'", 'hugeString'];
const SIGNALS = ['abortedSignal', 'liveSignal', '{}', 'true', "'abc'", 'null', '1'];
const LOOKUPS = ['badLookup', 'throwingLookup', 'lookupBadAddr', 'lookupLive', 'null', "'abc'", '{}', '1', 'true'];

const CONNECT_KEYS = {
  port: PORTS, host: HOSTS, path: PATHS, localAddress: HOSTS, localPort: PORTS, family: ['0', '4', '6', '5', '-1', "'4'", "'IPv4'", 'NaN', 'null', 'Symbol()'],
  hints: ['0', '-1', '1.5', "'abc'", '{}', '2**31', 'NaN'], lookup: LOOKUPS, timeout: TIMEOUTS,
  noDelay: BOOLS, keepAlive: BOOLS, keepAliveInitialDelay: TIMEOUTS, autoSelectFamily: BOOLS,
  autoSelectFamilyAttemptTimeout: TIMEOUTS, allowHalfOpen: BOOLS, signal: SIGNALS,
  onread: ['{}', 'null', "'abc'", '1', 'true'], highWaterMark: ['-1', 'NaN', '1.5', '0', "'abc'", '2**53'],
};
const SOCKET_CTOR_KEYS = {
  fd: FDS, allowHalfOpen: BOOLS, readable: BOOLS, writable: BOOLS, signal: SIGNALS,
  noDelay: BOOLS, keepAlive: BOOLS, keepAliveInitialDelay: TIMEOUTS, objectMode: BOOLS,
  highWaterMark: ['-1', 'NaN', '1.5', '0', "'abc'", '2**53'], onread: ['{}', 'null', "'abc'", '1', 'true'],
  handle: ['{}', 'null', "'abc'", '1'],
};
const SERVER_OPT_KEYS = {
  allowHalfOpen: BOOLS, pauseOnConnect: BOOLS, noDelay: BOOLS, keepAlive: BOOLS,
  keepAliveInitialDelay: TIMEOUTS, highWaterMark: ['-1', 'NaN', '1.5', '0', "'abc'", '2**53'],
};
const LISTEN_KEYS = {
  port: PORTS, host: HOSTS, path: PATHS, backlog: ['-1', '0', '1.5', 'NaN', "'abc'", '2**31', 'Infinity', 'null'],
  exclusive: BOOLS, readableAll: BOOLS, writableAll: BOOLS, ipv6Only: BOOLS, signal: SIGNALS, fd: FDS,
  handle: ['{}', 'null', "'abc'", '1', 'true'],
};

module.exports = {
  makeValue, SCALARS, HOSTS, PORTS, TIMEOUTS, FDS, ENCODINGS, BOOLS, PATHS,
  CONNECT_KEYS, SOCKET_CTOR_KEYS, SERVER_OPT_KEYS, LISTEN_KEYS,
};

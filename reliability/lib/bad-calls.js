'use strict';
// Generates the bad-input call list from a seed. Parent and children all call
// generate(seed, count) and get the same list, so a case is named by its index
// and printed with describe() for a repro.
const V = require('./bad-values');
const { rng } = require('./common');

// What a method is called on: a socket never connected, connecting (the call is
// made before 'connect'), connected over TCP or over a Unix socket, ended (our side
// shut down, the peer's still open) or destroyed; a server never listening,
// listening on TCP or on a Unix socket, or closed.
const SOCKET_STATES = ['fresh', 'connecting', 'connected', 'pipe', 'destroyed', 'ended'];
const SERVER_STATES = ['fresh', 'listening', 'listening-pipe', 'closed'];

function genScalar(r, pool) {
  // Mostly the slot's own pool; sometimes any scalar, to hit unexpected types.
  return r.bool(0.8) ? r.pick(pool) : r.pick(V.SCALARS);
}

// Never fd 0, 1 or 2 (nor true, which is 1 to some checks): adopting and then
// destroying the child's own stdio breaks the harness's reporting channel rather
// than testing input validation (the stdio case has its own fault scenario).
const NOT_STDIO = V.SCALARS.filter((v) => v !== '0' && v !== '1' && v !== 'true');

function genObject(r, keys, base = {}) {
  const names = Object.keys(keys);
  const obj = { ...base };
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    const k = r.pick(names);
    obj[k] = k === 'fd' ? (r.bool(0.8) ? r.pick(keys[k]) : r.pick(NOT_STDIO)) : genScalar(r, keys[k]);
  }
  return { obj };
}

// A "mostly valid" base now and then, so validation deeper than the first key is reached.
function connectOptions(r) {
  const base = r.pick([{}, { port: 'deadPort', host: "'127.0.0.1'" }, { port: 'livePort', host: "'127.0.0.1'" }, { path: 'missingUnixPath' }]);
  return genObject(r, V.CONNECT_KEYS, base);
}
function listenOptions(r) {
  const base = r.pick([{}, { port: '0', host: "'127.0.0.1'" }, { path: 'longUnixPath' }]);
  return genObject(r, V.LISTEN_KEYS, base);
}

// connect-shaped argument lists: (options[, cb]) | (port[, host][, cb]) | (path[, cb])
function connectArgs(r) {
  switch (r.int(4)) {
    case 0: return [connectOptions(r), ...(r.bool() ? ['callback'] : [])];
    case 1: return [genScalar(r, V.PORTS), genScalar(r, V.HOSTS), ...(r.bool() ? ['callback'] : [])];
    case 2: return [genScalar(r, V.PATHS), ...(r.bool() ? ['callback'] : [])];
    default: return Array.from({ length: r.int(4) }, () => r.pick(V.SCALARS));
  }
}

// listen forms: (port[, host[, backlog]][, cb]) | (path[, backlog][, cb]) | (options[, cb]) | (handle) | ()
function listenArgs(r) {
  const LPORTS = V.PORTS.map((p) => (p === 'deadPort' ? 'deadPort2' : p));
  switch (r.int(5)) {
    case 0: return [genScalar(r, LPORTS), genScalar(r, V.HOSTS), ...(r.bool() ? [r.pick(['-1', '0', '1.5', "'abc'", 'NaN'])] : []), ...(r.bool() ? ['callback'] : [])];
    case 1: return [genScalar(r, V.PATHS), ...(r.bool() ? [r.pick(['-1', '511', "'abc'"])] : []), ...(r.bool() ? ['callback'] : [])];
    case 2: return [listenOptions(r), ...(r.bool() ? ['callback'] : [])];
    case 3: return [r.pick([{ obj: { fd: r.pick(V.FDS) } }, { obj: { _handle: r.pick(['{}', 'null', '1']) } }, '{}', 'null'])];
    default: return Array.from({ length: r.int(3) }, () => r.pick(V.SCALARS));
  }
}

// Every public entry point, with how its arguments are drawn. `on` says what the
// call is made on: the module, a Socket in some state, or a Server in some state.
const TARGETS = [
  { name: 'createServer', on: 'module', args: (r) => [r.bool() ? genObject(r, V.SERVER_OPT_KEYS) : genScalar(r, V.SCALARS), ...(r.bool() ? [genScalar(r, ['callback', '{}', '1'])] : [])] },
  { name: 'new Server', on: 'module', args: (r) => [r.bool() ? genObject(r, V.SERVER_OPT_KEYS) : genScalar(r, V.SCALARS), ...(r.bool() ? [genScalar(r, ['callback', '{}', '1'])] : [])] },
  { name: 'Server()', on: 'module', args: (r) => [r.bool() ? genObject(r, V.SERVER_OPT_KEYS) : genScalar(r, V.SCALARS)] },
  { name: 'connect', on: 'module', weight: 3, args: connectArgs },
  { name: 'createConnection', on: 'module', weight: 2, args: connectArgs },
  // new Socket(n) with a number is the legacy new Socket({ fd: n }): 0, 1 and 2 would
  // adopt (and then destroy) the child's own stdio, which tests the harness, not rsnet.
  { name: 'new Socket', on: 'module', weight: 2, args: (r) => [r.bool(0.8) ? genObject(r, V.SOCKET_CTOR_KEYS) : r.pick(NOT_STDIO)] },
  { name: 'isIP', on: 'module', args: (r) => [genScalar(r, V.HOSTS)] },
  { name: 'isIPv4', on: 'module', args: (r) => [genScalar(r, V.HOSTS)] },
  { name: 'isIPv6', on: 'module', args: (r) => [genScalar(r, V.HOSTS)] },
  { name: 'setDefaultAutoSelectFamily', on: 'module', args: (r) => [genScalar(r, V.BOOLS)] },
  { name: 'setDefaultAutoSelectFamilyAttemptTimeout', on: 'module', args: (r) => [genScalar(r, V.TIMEOUTS)] },
  { name: '_normalizeArgs', on: 'module', args: (r) => [{ arr: connectArgs(r) }] },
  { name: 'socket.connect', on: 'socket', weight: 4, args: connectArgs },
  { name: 'socket.write', on: 'socket', weight: 2, args: (r) => [genScalar(r, ["'abc'", "''", 'Buffer', 'Uint8Array', 'hugeString', '1', 'null', 'undefined', '{}', 'ArrayBuffer']), ...(r.bool() ? [genScalar(r, V.ENCODINGS)] : []), ...(r.bool() ? ['callback'] : [])] },
  { name: 'socket.end', on: 'socket', weight: 2, args: (r) => Array.from({ length: r.int(4) }, (_, i) => genScalar(r, i === 0 ? ["'abc'", 'Buffer', '1', '{}', 'callback', 'null'] : V.ENCODINGS)) },
  { name: 'socket.setTimeout', on: 'socket', weight: 2, args: (r) => [genScalar(r, V.TIMEOUTS), ...(r.bool() ? [genScalar(r, ['callback', '1', "'abc'", 'null', '{}'])] : [])] },
  { name: 'socket.setNoDelay', on: 'socket', args: (r) => (r.bool(0.2) ? [] : [genScalar(r, V.BOOLS)]) },
  { name: 'socket.setKeepAlive', on: 'socket', args: (r) => [genScalar(r, V.BOOLS), ...(r.bool() ? [genScalar(r, V.TIMEOUTS)] : [])] },
  { name: 'socket.setEncoding', on: 'socket', args: (r) => [genScalar(r, V.ENCODINGS)] },
  { name: 'socket.address', on: 'socket', args: () => [] },
  { name: 'socket.destroy', on: 'socket', args: (r) => (r.bool() ? [] : [genScalar(r, ['{}', "'abc'", '1', 'null', 'undefined', 'throwingGetters'])]) },
  { name: 'socket.resetAndDestroy', on: 'socket', args: () => [] },
  { name: 'socket.destroySoon', on: 'socket', args: () => [] },
  { name: 'socket.pause', on: 'socket', args: () => [] },
  { name: 'socket.resume', on: 'socket', args: () => [] },
  { name: 'socket.ref', on: 'socket', args: () => [] },
  { name: 'socket.unref', on: 'socket', args: () => [] },
  { name: 'server.listen', on: 'server', weight: 5, args: listenArgs },
  { name: 'server.close', on: 'server', args: (r) => (r.bool(0.3) ? [] : [genScalar(r, ['callback', '1', "'abc'", '{}'])]) },
  { name: 'server.getConnections', on: 'server', args: (r) => (r.bool(0.2) ? [] : [genScalar(r, ['callback', '1', "'abc'", '{}', 'null'])]) },
  { name: 'server.address', on: 'server', args: () => [] },
  { name: 'server.ref', on: 'server', args: () => [] },
  { name: 'server.unref', on: 'server', args: () => [] },
];

const WEIGHTED = TARGETS.flatMap((t) => Array(t.weight || 1).fill(t));

function generate(seed, count) {
  const r = rng(seed);
  const cases = [];
  // First one case per target (every entry point is covered), then weighted random.
  for (let i = 0; i < count; i++) {
    const t = i < TARGETS.length ? TARGETS[i] : r.pick(WEIGHTED);
    const state = t.on === 'socket' ? r.pick(SOCKET_STATES) : t.on === 'server' ? r.pick(SERVER_STATES) : null;
    cases.push({ i, target: t.name, on: t.on, state, args: t.args(r) });
  }
  return cases;
}

// Listen calls and the ones that touch global defaults run one at a time (their
// ports may collide, the defaults are process-wide); everything else runs
// several at a time to keep the part short.
function exclusive(c) {
  return c.target === 'server.listen' || c.target.startsWith('setDefault');
}

function describeArg(a) {
  if (typeof a === 'string') return a;
  if (a.obj) return `{ ${Object.entries(a.obj).map(([k, v]) => `${k}: ${v}`).join(', ')} }`;
  if (a.arr) return `[${a.arr.map(describeArg).join(', ')}]`;
  return '?';
}
function describe(c) {
  const args = `(${c.args.map(describeArg).join(', ')})`;
  if (c.on !== 'module') return `${c.on}(${c.state}).${c.target.replace(/^(socket|server)\./, '')}${args}`;
  if (c.target.startsWith('new ')) return `new net.${c.target.slice(4)}${args}`;
  if (c.target === 'Server()') return `net.Server${args}`;
  return `net.${c.target}${args}`;
}

module.exports = { generate, describe, exclusive, TARGETS };

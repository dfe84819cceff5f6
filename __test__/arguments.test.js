'use strict';
// Synchronous argument validation, rsnet vs built-in net: for every call in the
// tables below both implementations must do the same thing: throw the same
// error class with the same {name, code, message}, or return the same kind of
// value. Each row also states what Node v20.20.2 does, so the built-in run
// checks the expectation itself (no vacuous passes). Nothing here may crash or
// hang the process.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const stream = require('stream');
const EventEmitter = require('events');
const builtin = require('net');
const { impls } = require('./fixtures/impls');
const {
  within, once, listen, closeServer, freedPort, haveIPv6, closed, track, tmpDir, exitGuard, reg, cleanupAll,
} = require('./fixtures/util');

exitGuard(after, 'arguments.test.js');

const IMPLS = impls();
const rsnet = IMPLS[1][1];
const H = '127.0.0.1';

// Some rows use Unix socket paths relative to the cwd (a non-numeric string
// port is a pipe path); run the whole file in a fresh temp dir.
let FREE;
let dir;
const origCwd = process.cwd();
before(async () => {
  dir = tmpDir('rsnet-args-');
  process.chdir(dir);
  FREE = await freedPort(H);
});
after(() => {
  process.chdir(origCwd);
  fs.rmSync(dir, { recursive: true, force: true });
});

const THROWS = (ctor, code, message) => ({ throws: { ctor, name: ctor, code, message } });
const RET = (kind) => ({ returns: kind });

// Runs one source snippet against `mod`. S() makes a fresh unconnected Socket,
// V() a fresh Server; both (and anything returned) are cleaned up afterwards.
function runCase(src, mod) {
  const made = [];
  let last;
  const S = () => { const s = new mod.Socket(); s.on('error', () => {}); made.push(s); last = s; return s; };
  const V = () => { const s = new mod.Server(); s.on('error', () => {}); made.push(s); last = s; return s; };
   
  const fn = new Function('net', 'H', 'FREE', 'S', 'V', `return (${src});`);
  let result;
  try {
    const r = fn(mod, H, FREE, S, V);
    result = { returns: describe(r, mod, last) };
    if (r && typeof r === 'object' && typeof r.on === 'function' && r !== last) {
      r.on('error', () => {});
      made.push(r);
    }
  } catch (e) {
    result = {
      throws: {
        ctor: e && e.constructor && e.constructor.name,
        name: e && e.name,
        code: e && e.code,
        message: e && e.message,
      },
    };
  }
  for (const x of made) {
    try {
      if (typeof x.destroy === 'function') x.destroy();
      else if (typeof x.close === 'function' && x.listening) x.close();
    } catch (e) {
      result.cleanupThrew = String(e);
    }
  }
  return result;
}

function describe(r, mod, last) {
  if (r === null) return 'null';
  if (typeof r !== 'object' && typeof r !== 'function') return `${typeof r}:${String(r)}`;
  return (r.constructor && r.constructor.name) +
    (r instanceof mod.Socket ? '<Socket>' : '') +
    (r instanceof mod.Server ? '<Server>' : '') +
    (r === last ? '<this>' : '');
}

const SYNC_CASES = [
  {
    group: 'connect: missing arguments',
    cases: [
      ['net.connect()', THROWS('TypeError', 'ERR_MISSING_ARGS',
        'The "options" or "port" or "path" argument must be specified')],
      ['net.createConnection()', THROWS('TypeError', 'ERR_MISSING_ARGS',
        'The "options" or "port" or "path" argument must be specified')],
      ['new net.Socket().connect()', THROWS('TypeError', 'ERR_MISSING_ARGS',
        'The "options" or "port" or "path" argument must be specified')],
      ['net.connect({})', THROWS('TypeError', 'ERR_MISSING_ARGS',
        'The "options" or "port" or "path" argument must be specified')],
      ['net.connect({ host: H })', THROWS('TypeError', 'ERR_MISSING_ARGS',
        'The "options" or "port" or "path" argument must be specified')],
      ['net.connect(undefined)', THROWS('TypeError', 'ERR_MISSING_ARGS',
        'The "options" or "port" or "path" argument must be specified')],
      ['net.connect(null)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.port" property must be one of type number or string. Received null')],
    ],
  },
  {
    group: 'connect: bad ports in options',
    cases: [
      ['net.connect({ port: -1, host: H })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (-1).')],
      ['net.connect({ port: 65536, host: H })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (65536).')],
      ['net.connect({ port: 1.5, host: H })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (1.5).')],
      ['net.connect({ port: NaN, host: H })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (NaN).')],
      ['net.connect({ port: Infinity, host: H })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (Infinity).')],
      ["net.connect({ port: 'abc', host: H })", THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        "Port should be >= 0 and < 65536. Received type string ('abc').")],
      ["net.connect({ port: '', host: H })", THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        "Port should be >= 0 and < 65536. Received type string ('').")],
      ["net.connect({ port: ' ', host: H })", THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        "Port should be >= 0 and < 65536. Received type string (' ').")],
      ["net.connect({ port: '-1', host: H })", THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        "Port should be >= 0 and < 65536. Received type string ('-1').")],
      ["net.connect({ port: '65536', host: H })", THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        "Port should be >= 0 and < 65536. Received type string ('65536').")],
      ['net.connect({ port: {}, host: H })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.port" property must be one of type number or string. Received an instance of Object')],
      ['net.connect({ port: true, host: H })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.port" property must be one of type number or string. Received type boolean (true)')],
      ['net.connect({ port: null, host: H })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.port" property must be one of type number or string. Received null')],
      ['net.connect({ port: 1n, host: H })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.port" property must be one of type number or string. Received type bigint (1n)')],
      ['net.connect({ port: [80], host: H })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.port" property must be one of type number or string. Received an instance of Array')],
      ["net.connect({ port: Symbol('p'), host: H })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.port" property must be one of type number or string. Received type symbol (Symbol(p))')],
      ['new net.Socket().connect({ port: -1, host: H })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (-1).')],
      ['net.createConnection({ port: 65536, host: H })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (65536).')],
    ],
  },
  {
    group: 'connect: bad ports positional',
    cases: [
      ['net.connect(-1, H)', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (-1).')],
      ['net.connect(65536, H)', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (65536).')],
      ['net.connect(1.5, H)', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (1.5).')],
      ['net.connect(80.5, H)', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (80.5).')],
      ['net.connect(NaN, H)', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (NaN).')],
      ['net.connect(Infinity, H)', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (Infinity).')],
      ["net.connect('65536', H)", THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        "Port should be >= 0 and < 65536. Received type string ('65536').")],
      ['net.connect(true, H)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.port" property must be one of type number or string. Received type boolean (true)')],
      ['net.connect(1n, H)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.port" property must be one of type number or string. Received type bigint (1n)')],
      ['net.connect({}, H)', THROWS('TypeError', 'ERR_MISSING_ARGS',
        'The "options" or "port" or "path" argument must be specified')],
      ['net.connect([80], H)', THROWS('TypeError', 'ERR_MISSING_ARGS',
        'The "options" or "port" or "path" argument must be specified')],
      ["net.connect(Symbol('p'))", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.port" property must be one of type number or string. Received type symbol (Symbol(p))')],
      ['net.connect(() => {})', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.port" property must be one of type number or string. Received function ')],
      ['net.connect(true)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.port" property must be one of type number or string. Received type boolean (true)')],
      ['new net.Socket().connect(-1, H)', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'Port should be >= 0 and < 65536. Received type number (-1).')],
    ],
  },
  {
    group: 'connect: accepted port forms (returns a Socket; destroyed at once)',
    cases: [
      ['net.connect({ port: FREE, host: H })', RET('Socket<Socket>')],
      ['net.connect({ port: String(FREE), host: H })', RET('Socket<Socket>')],
      ["net.connect({ port: ' ' + FREE + ' ', host: H })", RET('Socket<Socket>')],
      ['net.connect(String(FREE), H)', RET('Socket<Socket>')],
      ["net.connect(FREE, H, 'not a function')", RET('Socket<Socket>')],
      ["net.connect({ port: FREE, host: H }, 'not a function')", RET('Socket<Socket>')],
      ["net.connect('abc')", RET('Socket<Socket>')],
    ],
  },
  {
    group: 'connect: host, local address, family, lookup and friends',
    cases: [
      ['net.connect({ port: FREE, host: 5 })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "hostname" argument must be of type string. Received type number (5)')],
      ['net.connect({ port: FREE, host: {} })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "hostname" argument must be of type string. Received an instance of Object')],
      ['net.connect({ port: FREE, host: true })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "hostname" argument must be of type string. Received type boolean (true)')],
      ['net.connect({ port: FREE, host: null })', RET('Socket<Socket>')],
      ['net.connect(FREE, 5)', RET('Socket<Socket>')],
      ["net.connect({ port: FREE, host: H, localAddress: 'not-an-ip' })", THROWS('TypeError', 'ERR_INVALID_IP_ADDRESS',
        'Invalid IP address: not-an-ip')],
      ['net.connect({ port: FREE, host: H, localAddress: 5 })', THROWS('TypeError', 'ERR_INVALID_IP_ADDRESS',
        'Invalid IP address: 5')],
      ["net.connect({ port: FREE, host: H, localAddress: '256.1.1.1' })", THROWS('TypeError', 'ERR_INVALID_IP_ADDRESS',
        'Invalid IP address: 256.1.1.1')],
      ["net.connect({ port: FREE, host: H, localPort: 'x' })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "options.localPort" property must be of type number. Received type string ('x')`)],
      ['net.connect({ port: FREE, host: H, localPort: {} })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.localPort" property must be of type number. Received an instance of Object')],
      ["net.connect({ port: FREE, host: 'localhost', family: 5 })", THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The property 'options.family' must be one of: 0, 4, 6. Received 5")],
      ["net.connect({ port: FREE, host: 'localhost', family: 'x' })", THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The property 'options.family' must be one of: 0, 4, 6. Received 'x'")],
      ["net.connect({ port: FREE, host: 'localhost', family: 'IPv4' })", RET('Socket<Socket>')],
      ["net.connect({ port: FREE, host: 'localhost', lookup: 1 })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.lookup" property must be of type function. Received type number (1)')],
      ["net.connect({ port: FREE, host: 'localhost', lookup: 'dns' })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "options.lookup" property must be of type function. Received type string ('dns')`)],
      ["net.connect({ port: FREE, host: 'localhost', hints: 'x' })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "options.hints" property must be of type number. Received type string ('x')`)],
      ["net.connect({ port: FREE, host: 'localhost', hints: 999999 })", THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The argument 'hints' is invalid. Received 999999")],
      ["net.connect({ port: FREE, host: H, timeout: 'x' })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "msecs" argument must be of type number. Received type string ('x')`)],
      ['net.connect({ port: FREE, host: H, timeout: -1 })', THROWS('RangeError', 'ERR_OUT_OF_RANGE',
        'The value of "msecs" is out of range. It must be a non-negative finite number. Received -1')],
      ["net.connect({ port: FREE, host: 'localhost', autoSelectFamily: 'x' })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "options.autoSelectFamily" property must be of type boolean. Received type string ('x')`)],
      ["net.connect({ port: FREE, host: 'localhost', autoSelectFamilyAttemptTimeout: 'x' })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "options.autoSelectFamilyAttemptTimeout" property must be of type number. Received type string ('x')`)],
      ["net.connect({ port: FREE, host: 'localhost', autoSelectFamilyAttemptTimeout: -5 })", THROWS('RangeError', 'ERR_OUT_OF_RANGE',
        'The value of "options.autoSelectFamilyAttemptTimeout" is out of range. It must be >= 1 && <= 2147483647. Received -5')],
      ["net.connect({ port: FREE, host: H, keepAliveInitialDelay: 'x' })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "options.keepAliveInitialDelay" property must be of type number. Received type string ('x')`)],
      ["net.connect({ port: FREE, host: H, noDelay: 'x' })", RET('Socket<Socket>')],
      ["net.connect({ port: FREE, host: H, keepAlive: 'x' })", RET('Socket<Socket>')],
      ['net.connect({ path: 5 })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.path" property must be of type string. Received type number (5)')],
      ['net.connect({ path: {} })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.path" property must be of type string. Received an instance of Object')],
    ],
  },
  {
    group: 'Socket constructor',
    cases: [
      ['new net.Socket({ objectMode: true })', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The property 'options.objectMode' is not supported. Received true")],
      ['new net.Socket({ readableObjectMode: true })', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The property 'options.readableObjectMode' is not supported. Received true")],
      ['new net.Socket({ writableObjectMode: true })', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The property 'options.writableObjectMode' is not supported. Received true")],
      ["new net.Socket({ fd: 'x' })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "fd" argument must be of type number. Received type string ('x')`)],
      ['new net.Socket({ fd: -1 })', THROWS('RangeError', 'ERR_OUT_OF_RANGE',
        'The value of "fd" is out of range. It must be >= 0 && <= 2147483647. Received -1')],
      ['new net.Socket({ fd: 1.5 })', THROWS('RangeError', 'ERR_OUT_OF_RANGE',
        'The value of "fd" is out of range. It must be an integer. Received 1.5')],
      ['new net.Socket({ signal: 1 })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "signal" argument must be an instance of AbortSignal. Received type number (1)')],
      ['new net.Socket({ signal: {} })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "signal" argument must be an instance of AbortSignal. Received an instance of Object')],
      ['new net.Socket({ highWaterMark: -1 })', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The property 'options.readableHighWaterMark' is invalid. Received -1")],
      ["new net.Socket({ highWaterMark: 'x' })", THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The property 'options.readableHighWaterMark' is invalid. Received 'x'")],
      ["new net.Socket({ keepAliveInitialDelay: 'x' })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "options.keepAliveInitialDelay" property must be of type number. Received type string ('x')`)],
      ["new net.Socket({ allowHalfOpen: 'yes' })", RET('Socket<Socket>')],
      ["new net.Socket('x')", RET('Socket<Socket>')],
      ['new net.Socket(null)', RET('Socket<Socket>')],
      ['new net.Socket(undefined)', RET('Socket<Socket>')],
      ['net.Socket()', RET('Socket<Socket>')],
    ],
  },
  {
    group: 'socket.setTimeout',
    cases: [
      ["S().setTimeout('x')", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "msecs" argument must be of type number. Received type string ('x')`)],
      ['S().setTimeout(-1)', THROWS('RangeError', 'ERR_OUT_OF_RANGE',
        'The value of "msecs" is out of range. It must be a non-negative finite number. Received -1')],
      ['S().setTimeout(NaN)', THROWS('RangeError', 'ERR_OUT_OF_RANGE',
        'The value of "msecs" is out of range. It must be a non-negative finite number. Received NaN')],
      ['S().setTimeout(Infinity)', THROWS('RangeError', 'ERR_OUT_OF_RANGE',
        'The value of "msecs" is out of range. It must be a non-negative finite number. Received Infinity')],
      ['S().setTimeout({})', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "msecs" argument must be of type number. Received an instance of Object')],
      ['S().setTimeout(null)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "msecs" argument must be of type number. Received null')],
      ['S().setTimeout(undefined)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "msecs" argument must be of type number. Received undefined')],
      ["S().setTimeout('100')", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "msecs" argument must be of type number. Received type string ('100')`)],
      ['S().setTimeout(true)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "msecs" argument must be of type number. Received type boolean (true)')],
      ['S().setTimeout(1n)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "msecs" argument must be of type number. Received type bigint (1n)')],
      ["S().setTimeout(10, 'cb')", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "callback" argument must be of type function. Received type string ('cb')`)],
      ['S().setTimeout(10, null)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "callback" argument must be of type function. Received null')],
      ['S().setTimeout(10, {})', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "callback" argument must be of type function. Received an instance of Object')],
      ['S().setTimeout(0)', RET('Socket<Socket><this>')],
      ['S().setTimeout(1.5)', RET('Socket<Socket><this>')],
      ['S().setTimeout(100, () => {})', RET('Socket<Socket><this>')],
    ],
  },
  {
    group: 'socket.setNoDelay / setKeepAlive odd values (never throw, return this)',
    cases: [
      ['S().setNoDelay()', RET('Socket<Socket><this>')],
      ["S().setNoDelay('x')", RET('Socket<Socket><this>')],
      ['S().setNoDelay(0)', RET('Socket<Socket><this>')],
      ['S().setNoDelay(1)', RET('Socket<Socket><this>')],
      ['S().setNoDelay(null)', RET('Socket<Socket><this>')],
      ['S().setNoDelay({})', RET('Socket<Socket><this>')],
      ['S().setNoDelay(NaN)', RET('Socket<Socket><this>')],
      ['S().setKeepAlive()', RET('Socket<Socket><this>')],
      ["S().setKeepAlive('x')", RET('Socket<Socket><this>')],
      ["S().setKeepAlive(true, 'x')", RET('Socket<Socket><this>')],
      ['S().setKeepAlive(true, -1)', RET('Socket<Socket><this>')],
      ['S().setKeepAlive(true, NaN)', RET('Socket<Socket><this>')],
      ['S().setKeepAlive(true, {})', RET('Socket<Socket><this>')],
      ['S().setKeepAlive(1, 1000)', RET('Socket<Socket><this>')],
      ['S().setKeepAlive(null, null)', RET('Socket<Socket><this>')],
      ['S().setKeepAlive(true, 1.5)', RET('Socket<Socket><this>')],
    ],
  },
  {
    group: 'socket.write / end / setEncoding',
    cases: [
      ['S().write(123)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received type number (123)')],
      ['S().write(null)', THROWS('TypeError', 'ERR_STREAM_NULL_VALUES',
        'May not write null values to stream')],
      ['S().write(undefined)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received undefined')],
      ['S().write({})', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received an instance of Object')],
      ['S().write([])', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received an instance of Array')],
      ['S().write(true)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received type boolean (true)')],
      ['S().write(1n)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received type bigint (1n)')],
      ["S().write(Symbol('w'))", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received type symbol (Symbol(w))')],
      ['S().write(new ArrayBuffer(2))', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received an instance of ArrayBuffer')],
      ["S().write('x', 'bogus')", THROWS('TypeError', 'ERR_UNKNOWN_ENCODING',
        'Unknown encoding: bogus')],
      ["S().write('x', 5)", THROWS('TypeError', 'ERR_UNKNOWN_ENCODING',
        'Unknown encoding: 5')],
      ['S().end(123)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received type number (123)')],
      ['S().end({})', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received an instance of Object')],
      ["S().setEncoding('bogus')", THROWS('TypeError', 'ERR_UNKNOWN_ENCODING',
        'Unknown encoding: bogus')],
      ['S().setEncoding(5)', THROWS('TypeError', 'ERR_UNKNOWN_ENCODING',
        'Unknown encoding: 5')],
      ["S().write('x', 'utf8', 5)", RET('boolean:false')],
      ['S().write(new Uint8Array(2))', RET('boolean:false')],
      ['S().write(new DataView(new ArrayBuffer(2)))', RET('boolean:false')],
      ["S().write(Buffer.from('x'))", RET('boolean:false')],
    ],
  },
  {
    group: 'createServer / Server',
    cases: [
      ['net.createServer(1)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options" argument must be of type object. Received type number (1)')],
      ["net.createServer('x')", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "options" argument must be of type object. Received type string ('x')`)],
      ['net.createServer(true)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options" argument must be of type object. Received type boolean (true)')],
      ['net.createServer({}, 1)', RET('Server<Server>')],
      ['net.createServer(null)', RET('Server<Server>')],
      ['net.createServer(undefined, () => {})', RET('Server<Server>')],
      ['net.Server()', RET('Server<Server>')],
      ['net.Server(() => {})', RET('Server<Server>')],
      ["new net.Server({ highWaterMark: 'x' })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "options.highWaterMark" property must be of type number. Received type string ('x')`)],
      ['new net.Server({ highWaterMark: -1 })', RET('Server<Server>')],
      ["new net.Server({ keepAliveInitialDelay: 'x' })", THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        `The "options.keepAliveInitialDelay" property must be of type number. Received type string ('x')`)],
      ["new net.Server({ noDelay: 'x' })", RET('Server<Server>')],
      ['V().getConnections(1)', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "callback" argument must be of type function. Received type number (1)')],
      ['V().getConnections()', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "callback" argument must be of type function. Received undefined')],
      ['V().close(1)', RET('Server<Server><this>')],
      ['V().address()', RET('null')],
    ],
  },
  {
    group: 'server.listen: bad ports and bad options (synchronous)',
    cases: [
      ['V().listen({ port: -1 })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'options.port should be >= 0 and < 65536. Received type number (-1).')],
      ['V().listen({ port: -1, host: H })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'options.port should be >= 0 and < 65536. Received type number (-1).')],
      ['V().listen({ port: 65536, host: H })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'options.port should be >= 0 and < 65536. Received type number (65536).')],
      ['V().listen({ port: 1.5, host: H })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'options.port should be >= 0 and < 65536. Received type number (1.5).')],
      ['V().listen({ port: NaN, host: H })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'options.port should be >= 0 and < 65536. Received type number (NaN).')],
      ['V().listen({ port: Infinity, host: H })', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'options.port should be >= 0 and < 65536. Received type number (Infinity).')],
      ["V().listen({ port: 'abc', host: H })", THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        "options.port should be >= 0 and < 65536. Received type string ('abc').")],
      ["V().listen({ port: '', host: H })", THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        "options.port should be >= 0 and < 65536. Received type string ('').")],
      ["V().listen({ port: '-1', host: H })", THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        "options.port should be >= 0 and < 65536. Received type string ('-1').")],
      ["V().listen({ port: '65536', host: H })", THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        "options.port should be >= 0 and < 65536. Received type string ('65536').")],
      ['V().listen({ port: {}, host: H })', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The argument 'options' is invalid. Received { port: {}, host: '127.0.0.1' }")],
      ['V().listen({ port: true, host: H })', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The argument 'options' is invalid. Received { port: true, host: '127.0.0.1' }")],
      ['V().listen({ port: 1n, host: H })', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The argument 'options' is invalid. Received { port: 1n, host: '127.0.0.1' }")],
      ['V().listen({ port: [80], host: H })', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The argument 'options' is invalid. Received { port: [ 80 ], host: '127.0.0.1' }")],
      ['V().listen(-1, H)', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'options.port should be >= 0 and < 65536. Received type number (-1).')],
      ['V().listen(65536, H)', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'options.port should be >= 0 and < 65536. Received type number (65536).')],
      ['V().listen(1.5, H)', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'options.port should be >= 0 and < 65536. Received type number (1.5).')],
      ['V().listen(NaN, H)', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'options.port should be >= 0 and < 65536. Received type number (NaN).')],
      ['V().listen(Infinity, H)', THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        'options.port should be >= 0 and < 65536. Received type number (Infinity).')],
      ["V().listen('65536', H)", THROWS('RangeError', 'ERR_SOCKET_BAD_PORT',
        "options.port should be >= 0 and < 65536. Received type string ('65536').")],
      ['V().listen(true, H)', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The argument 'options' is invalid. Received { port: true, host: '127.0.0.1' }")],
      ['V().listen(1n, H)', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The argument 'options' is invalid. Received { port: 1n, host: '127.0.0.1' }")],
      ['V().listen([80], H)', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        `The argument 'options' must have the property "port" or "path". Received [ 80 ]`)],
      ['V().listen({}, H)', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        `The argument 'options' must have the property "port" or "path". Received {}`)],
      ['V().listen({})', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        `The argument 'options' must have the property "port" or "path". Received {}`)],
      ['V().listen({ host: H })', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        `The argument 'options' must have the property "port" or "path". Received { host: '127.0.0.1' }`)],
      ['V().listen({ fd: -1 })', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        `The argument 'options' must have the property "port" or "path". Received { fd: -1 }`)],
      ['V().listen({ port: 0, host: 5 })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "hostname" argument must be of type string. Received type number (5)')],
      ['V().listen({ path: 5 })', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The argument 'options' is invalid. Received { path: 5 }")],
      ['V().listen({ port: 0, signal: 1 })', THROWS('TypeError', 'ERR_INVALID_ARG_TYPE',
        'The "options.signal" property must be an instance of AbortSignal. Received type number (1)')],
      ['V().listen(true)', THROWS('TypeError', 'ERR_INVALID_ARG_VALUE',
        "The argument 'options' is invalid. Received { port: true }")],
    ],
  },
];

for (const { group, cases } of SYNC_CASES) {
  test(`sync arguments: ${group}`, { timeout: 30000 }, async (t) => {
    for (const [src, expected] of cases) {
      await t.test(src, () => {
        const got = {};
        for (const [label, mod] of IMPLS) got[label] = runCase(src, mod);
        assert.deepStrictEqual(got.net, expected, 'TEST BUG: built-in net did not behave as this row expects');
        assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
      });
    }
    // Let any async errors of the sockets created above surface (they all have
    // handlers) before the next group.
    await new Promise((r) => setImmediate(r));
  });
}

// ---------------------------------------------------------------------------
// listen() forms that are accepted synchronously: compare what happens next.

const WILD = haveIPv6() ? { address: '::', family: 'IPv6' } : { address: '0.0.0.0', family: 'IPv4' };
const LOOP4 = { address: '127.0.0.1', family: 'IPv4' };

const LISTEN_OK = [
  ['s.listen()', WILD],
  ['s.listen(null)', WILD],
  ['s.listen(() => {})', WILD],
  ['s.listen(undefined, H)', LOOP4],
  ['s.listen({ port: undefined })', WILD],
  ['s.listen({ port: null, host: H })', LOOP4],
  ["s.listen('0')", WILD],
  ["s.listen({ port: '0', host: H })", LOOP4],
  ["s.listen('not a number')", 'not a number'],
  ["s.listen('-1')", '-1'],
  ["s.listen({ path: './rel.sock' })", './rel.sock'],
  ['s.listen(0, 5)', WILD],
  ["s.listen(0, H, 'x')", LOOP4],
  ['s.listen({ port: 0, host: H }, 1)', LOOP4],
  ['s.listen({ port: 0, host: H, backlog: -1 })', LOOP4],
  ["s.listen({ port: 0, host: H, backlog: 'x' })", LOOP4],
  ["s.listen({ port: 0, host: H, exclusive: 'x' })", LOOP4],
  ['s.listen({ port: 0, ipv6Only: 1 })', WILD],
  ["s.listen({ port: 0, host: 'localhost' })", LOOP4],
  ["s.listen({ port: 0, host: '0.0.0.0' })", { address: '0.0.0.0', family: 'IPv4' }],
];
if (haveIPv6()) {
  LISTEN_OK.push(["s.listen({ port: 0, host: '::1' })", { address: '::1', family: 'IPv6' }]);
  LISTEN_OK.push(["s.listen({ port: 0, host: '::' })", { address: '::', family: 'IPv6' }]);
}

async function listenOutcome(src, mod) {
  const s = reg(mod.createServer());
  const ev = [];
  s.on('error', (e) => ev.push(['error', e.code, e.message]));
  s.on('listening', () => {
    const a = s.address();
    ev.push(['listening', typeof a === 'string' ? a
      : { address: a.address, family: a.family, portOk: Number.isInteger(a.port) && a.port > 0 }]);
  });
   
  const fn = new Function('s', 'H', `return (${src});`);
  let ret;
  try {
    ret = fn(s, H) === s ? 'this' : 'other';
  } catch (e) {
    return { threw: [e.constructor.name, e.code, e.message] };
  }
  await within(new Promise((r) => { s.once('listening', r); s.once('error', r); }), 5000, `${src}: listening/error`);
  // A path server must have created its socket file relative to the cwd.
  const a = s.address();
  const fileCreated = typeof a === 'string' ? fs.existsSync(a) : null;
  if (s.listening) await closeServer(s);
  const fileRemoved = typeof a === 'string' ? !fs.existsSync(a) : null;
  return { ret, ev, fileCreated, fileRemoved };
}

test('listen(): accepted argument forms bind like net (address/family; pipe paths relative to cwd)', { timeout: 60000 }, async (t) => {
  for (const [src, addr] of LISTEN_OK) {
    await t.test(src, async () => {
      const got = {};
      for (const [label, mod] of IMPLS) {
        try {
          got[label] = await listenOutcome(src, mod);
        } catch (e) {
          got[label] = { scenarioFailed: String(e && e.message) };
        } finally {
          cleanupAll();
        }
      }
      const isPath = typeof addr === 'string';
      const expected = {
        ret: 'this',
        ev: [['listening', isPath ? addr : { ...addr, portOk: true }]],
        fileCreated: isPath ? true : null,
        fileRemoved: isPath ? true : null,
      };
      assert.deepStrictEqual(got.net, expected, 'TEST BUG: built-in net did not behave as this row expects');
      assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
    });
  }
});

// ---------------------------------------------------------------------------
// Odd values on a CONNECTED socket: never throw, return this, socket still works.

test('connected socket: setNoDelay/setKeepAlive/setTimeout odd values return this and the socket keeps working', { timeout: 20000 }, async () => {
  const calls = [
    ['setNoDelay', []], ['setNoDelay', ['x']], ['setNoDelay', [0]], ['setNoDelay', [null]], ['setNoDelay', [{}]],
    ['setNoDelay', [false]], ['setNoDelay', [true]],
    ['setKeepAlive', []], ['setKeepAlive', ['x']], ['setKeepAlive', [true, 'x']], ['setKeepAlive', [true, -1]],
    ['setKeepAlive', [true, NaN]], ['setKeepAlive', [true, 1.5]], ['setKeepAlive', [1, 1000]], ['setKeepAlive', [false]],
    ['setTimeout', [0]], ['setTimeout', [1.5]], ['setTimeout', [60000]], ['setTimeout', [0]],
    ['setTimeout', ['x']], ['setTimeout', [-1]], ['setTimeout', [10, 'cb']],
    ['ref', []], ['unref', []], ['ref', []],
    ['setKeepAlive', [true, 1e12]], ['setKeepAlive', [true, Infinity]], ['setKeepAlive', [true, -Infinity]],
    ['setKeepAlive', [true, 2 ** 32 * 1000]], ['setKeepAlive', [true, '1000']], ['setNoDelay', [Symbol('s')]],
  ];
  const got = {};
  for (const [label, mod] of IMPLS) {
    try {
      const srv = mod.createServer((c) => { c.on('error', () => {}); c.pipe(c); });
      const { port } = await listen(srv, 0, H);
      const s = track(mod.connect(port, H));
      s.on('error', () => {});
      await once(s, 'connect');
      const res = calls.map(([m, args]) => {
        try {
          const r = s[m](...args);
          return [m, args.map(String), r === s ? 'this' : describe(r, mod)];
        } catch (e) {
          return [m, args.map(String), 'throws', e.constructor.name, e.code, e.message];
        }
      });
      s.write('still works');
      let data = '';
      await within(new Promise((r) => s.on('data', (d) => { data += d; if (data.length >= 11) r(); })), 5000, 'echo');
      res.push(['echo', data]);
      s.destroy();
      await closed(s);
      await closeServer(srv);
      got[label] = res;
    } finally {
      cleanupAll();
    }
  }
  const expected = calls.map(([m, args]) => [m, args.map(String), 'this']);
  const set = (i, v) => { expected[i] = [...expected[i].slice(0, 2), ...v]; };
  set(19, ['throws', 'TypeError', 'ERR_INVALID_ARG_TYPE', `The "msecs" argument must be of type number. Received type string ('x')`]);
  set(20, ['throws', 'RangeError', 'ERR_OUT_OF_RANGE', 'The value of "msecs" is out of range. It must be a non-negative finite number. Received -1']);
  set(21, ['throws', 'TypeError', 'ERR_INVALID_ARG_TYPE', `The "callback" argument must be of type function. Received type string ('cb')`]);
  expected.push(['echo', 'still works']);
  assert.deepStrictEqual(got.net, expected, 'TEST BUG: built-in net did not behave as expected');
  assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
});

// Odd backlog values are coerced (or ignored) by net, never rejected.
const BACKLOGS = [
  ['{}', {}], ['[]', []], ['null', null], ['true', true], ['1.5', 1.5], ['NaN', NaN], ['Infinity', Infinity],
  ['-Infinity', -Infinity], ['2 ** 31', 2 ** 31], ['2 ** 40', 2 ** 40], ["'10'", '10'], ["'x'", 'x'], ['-1', -1], ['0', 0],
];

test('listen(): odd backlog values (options.backlog and positional) still listen like net', { timeout: 60000 }, async (t) => {
  for (const [label, backlog] of BACKLOGS) {
    await t.test(`backlog ${label}`, async () => {
      const got = {};
      for (const [name, mod] of IMPLS) {
        const res = [];
        for (const form of ['options', 'positional']) {
          const s = reg(mod.createServer());
          try {
            await within(new Promise((resolve, reject) => {
              s.once('error', reject);
              if (form === 'options') s.listen({ port: 0, host: H, backlog }, resolve);
              else s.listen(0, H, backlog, resolve);
            }), 5000, 'listening');
            res.push([form, 'listening']);
            await closeServer(s);
          } catch (e) {
            res.push([form, 'failed', e && e.code, e && e.message]);
          } finally {
            cleanupAll();
          }
        }
        got[name] = res;
      }
      assert.deepStrictEqual(got.net, [['options', 'listening'], ['positional', 'listening']], 'TEST BUG');
      assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
    });
  }
});

test('keepAlive/noDelay options with odd keepAliveInitialDelay (server and client side): the connection works like net', { timeout: 30000 }, async (t) => {
  const OPTS = [
    ['keepAliveInitialDelay 1e12', { keepAlive: true, keepAliveInitialDelay: 1e12 }],
    ['keepAliveInitialDelay -5', { keepAlive: true, keepAliveInitialDelay: -5 }],
    ['keepAliveInitialDelay 1.5', { keepAlive: true, keepAliveInitialDelay: 1.5 }],
    ['keepAliveInitialDelay Infinity + noDelay', { noDelay: true, keepAlive: true, keepAliveInitialDelay: Infinity }],
  ];
  for (const [label, opts] of OPTS) {
    await t.test(label, async () => {
      const got = {};
      for (const [name, mod] of IMPLS) {
        const ev = [];
        try {
          const srv = mod.createServer(opts, (c) => { c.on('error', (e) => ev.push(['server socket error', e.code])); c.pipe(c); });
          const { port } = await listen(srv, 0, H);
          const c = track(mod.connect({ port, host: H, ...opts }));
          c.on('error', (e) => ev.push(['error', e.code, e.message]));
          c.on('connect', () => { c.end('x'); });
          c.on('data', (d) => ev.push(['data', String(d)]));
          await closed(c);
          ev.push('closed');
          await closeServer(srv);
        } catch (e) {
          ev.push(['scenario failed', String(e && e.message)]);
        } finally {
          cleanupAll();
        }
        got[name] = ev;
      }
      assert.deepStrictEqual(got.net, [['data', 'x'], 'closed'], 'TEST BUG');
      assert.deepStrictEqual(got.rsnet, got.net, 'rsnet differs from built-in net');
    });
  }
});

// ---------------------------------------------------------------------------
// isIP / isIPv4 / isIPv6

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

// ---------------------------------------------------------------------------
// Module surface

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

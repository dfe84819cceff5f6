'use strict';
// Synchronous argument validation, rsnet vs built-in net: for every call in the
// tables below both implementations must do the same thing: throw the same
// error class with the same {name, code, message}, or return the same kind of
// value. Each row also states what Node v20.20.2 does, so the built-in run
// checks the expectation itself (no vacuous passes). Nothing here may crash or
// hang the process.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { implList } = require('./helpers/harness');
const { freedPort, inTempCwd, kindOf, exitGuard } = require('./fixtures/util');

exitGuard(after, 'arguments.test.js');

const IMPLS = implList();
const H = '127.0.0.1';

// Some rows use Unix socket paths relative to the cwd (a non-numeric string
// port is a pipe path); run the whole file in a fresh temp dir.
inTempCwd(before, after, 'rsnet-args-');
let FREE;
before(async () => {
  FREE = await freedPort(H);
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
    result = { returns: kindOf(r, mod, last) };
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

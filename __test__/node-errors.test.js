'use strict';

// Compares errors produced by lib/errors.js and lib/validators.js with the
// errors the real Node.js `net` (and friends) produce for the same input.

const { test } = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const dns = require('node:dns');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const dgram = require('node:dgram');
const util = require('node:util');

const errors = require('../lib/errors');
const V = require('../lib/validators');

const {
  codes,
  ErrnoException,
  ExceptionWithHostPort,
  UVExceptionWithHostPort,
  NodeAggregateError,
  AbortError,
  genericNodeError,
} = errors;

function shape(err) {
  assert.ok(err instanceof Error, `expected an Error, got ${util.inspect(err)}`);
  return {
    ctor: err.constructor.name,
    name: err.name,
    code: err.code,
    message: err.message,
    keys: Object.keys(err),
    own: Object.getOwnPropertyNames(err),
    string: String(err),
    stack0: err.stack.split('\n')[0],
    isType: err instanceof TypeError,
    isRange: err instanceof RangeError,
  };
}

function catchErr(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail(`did not throw: ${fn}`);
}

function same(nodeErr, ourErr) {
  assert.deepStrictEqual(shape(ourErr), shape(nodeErr));
}

// [label, trigger in node, produce with our modules]
const syncCases = [];
function add(label, nodeFn, ourFn) {
  syncCases.push([label, nodeFn, ourFn]);
}

// --- ERR_SOCKET_BAD_PORT -------------------------------------------------
for (const port of [-1, 65536, NaN, Infinity, 1.5, '1.5', '', ' ', 'abc', '-1', '65536', '0x10000']) {
  add(`connect port ${util.inspect(port)}`,
    () => net.connect({ port }),
    () => V.validatePort(port));
  add(`listen port ${util.inspect(port)}`,
    () => net.createServer().listen({ port }),
    () => V.validatePort(port, 'options.port'));
}
add('dgram port 0 (allowZero=false)',
  () => dgram.createSocket('udp4').send('x', 0, 'localhost'),
  () => V.validatePort(0, 'Port', false));
add('ERR_SOCKET_BAD_PORT direct',
  () => net.connect({ port: -1 }),
  () => new codes.ERR_SOCKET_BAD_PORT('Port', -1));

// --- ERR_INVALID_ARG_TYPE: received-value shapes via setTimeout(msecs) --
class Foo {}
const nullProto = Object.create(null);
const nestedNullProto = Object.assign(Object.create(null), { a: { b: { c: 1 } } });
const receivedValues = [
  ['string', 'x'],
  ['string 25', 'x'.repeat(25)],
  ['string 28', 'x'.repeat(28)],
  ['string 29', 'x'.repeat(29)],
  ['string 40', 'y'.repeat(40)],
  ['string with quote', "it's"],
  ['long string with quote', `it's ${'z'.repeat(40)}`],
  ['symbol', Symbol('s')],
  ['long symbol', Symbol('q'.repeat(40))],
  ['bigint', 1n],
  ['huge bigint', 10n ** 40n],
  ['undefined', undefined],
  ['null', null],
  ['true', true],
  ['false', false],
  ['named function', function foo() {}],
  ['anonymous function', (() => () => {})()],
  ['class', Foo],
  ['plain object', {}],
  ['array', [1, 2, 3]],
  ['map', new Map()],
  ['instance', new Foo()],
  ['null prototype', nullProto],
  ['nested null prototype', nestedNullProto],
  ['empty ctor name', { constructor: { name: '' } }],
  ['ctor without name', { constructor: {} }],
  ['ctor name undefined', { constructor: { name: undefined } }],
];
for (const [label, value] of receivedValues) {
  add(`setTimeout(${label})`,
    () => new net.Socket().setTimeout(value),
    () => V.validateNumber(value, 'msecs'));
}
for (const value of [-0, NaN, -Infinity, 2 ** 70, 1.5, 0]) {
  add(`BlockList.addAddress(${Object.is(value, -0) ? '-0' : value})`,
    () => new net.BlockList().addAddress(value),
    () => V.validateString(value, 'address'));
}

// --- ERR_INVALID_ARG_TYPE: expected-list shapes -------------------------
for (const port of [{}, true, null, 1n]) {
  add(`connect port ${util.inspect(port)}`,
    () => net.connect({ port }),
    () => new codes.ERR_INVALID_ARG_TYPE('options.port', ['number', 'string'], port));
}
add('dns.lookup(1)', () => dns.lookup(1), () => V.validateString(1, 'hostname'));
add('Buffer.alloc("x")', () => Buffer.alloc('x'), () => V.validateNumber('x', 'size'));
add('options.lookup', () => net.connect({ port: 80, host: 'x', lookup: 1 }),
  () => V.validateFunction(1, 'options.lookup'));
add('emitter listener', () => new (require('events'))().once('x', 1),
  () => V.validateFunction(1, 'listener'));
add('options.autoSelectFamily', () => net.connect({ port: 80, host: 'x', autoSelectFamily: 1 }),
  () => V.validateBoolean(1, 'options.autoSelectFamily'));
add('setDefaultAutoSelectFamily', () => net.setDefaultAutoSelectFamily(1),
  () => V.validateBoolean(1, 'value'));
add('options.hints', () => net.connect({ port: 80, host: 'x', hints: 'x' }),
  () => V.validateNumber('x', 'options.hints'));
add('SocketAddress(1)', () => new net.SocketAddress(1), () => V.validateObject(1, 'options'));
add('SocketAddress(null)', () => new net.SocketAddress(null), () => V.validateObject(null, 'options'));
add('createServer(1)', () => net.createServer(1), () => V.validateObject(1, 'options'));
add('spawnSync args', () => require('child_process').spawnSync('x', 1),
  () => V.validateObject(1, 'args', V.kValidateObjectAllowNullable));
add('signal {}', () => net.connect({ port: 80, signal: {} }),
  () => V.validateAbortSignal({}, 'signal'));
add('signal 1', () => new net.Socket({ signal: 1 }),
  () => V.validateAbortSignal(1, 'signal'));
add('options.signal', () => net.createServer().listen({ port: 0, signal: 1 }),
  () => V.validateAbortSignal(1, 'options.signal'));
add('fs path instances', () => fs.readFileSync(1.5),
  () => new codes.ERR_INVALID_ARG_TYPE('path', ['string', 'Buffer', 'URL'], 1.5));
add('hash update instances', () => crypto.createHash('sha1').update(1),
  () => new codes.ERR_INVALID_ARG_TYPE('data', ['string', 'Buffer', 'TypedArray', 'DataView'], 1));
add('createPublicKey 6 instances', () => crypto.createPublicKey(true),
  () => new codes.ERR_INVALID_ARG_TYPE('key',
    ['string', 'ArrayBuffer', 'Buffer', 'TypedArray', 'DataView', 'KeyObject', 'CryptoKey'], true));
add('object + instances -> Object', () => assert.throws(() => { throw 1; }, 1),
  () => new codes.ERR_INVALID_ARG_TYPE('error', ['Object', 'Error', 'Function', 'RegExp'], 1));
add('first argument + other', () => Buffer.from(1),
  () => new codes.ERR_INVALID_ARG_TYPE('first argument',
    ['string', 'Buffer', 'ArrayBuffer', 'Array', 'Array-like Object'], 1));
add('instance only', () => require('stream').Readable.from(1),
  () => new codes.ERR_INVALID_ARG_TYPE('iterable', ['Iterable'], 1));

// --- ERR_OUT_OF_RANGE ----------------------------------------------------
add('setDefaultAutoSelectFamilyAttemptTimeout(-1)',
  () => net.setDefaultAutoSelectFamilyAttemptTimeout(-1),
  () => V.validateInt32(-1, 'value', 1));
add('setDefaultAutoSelectFamilyAttemptTimeout(1.5)',
  () => net.setDefaultAutoSelectFamilyAttemptTimeout(1.5),
  () => V.validateInt32(1.5, 'value', 1));
add('setDefaultAutoSelectFamilyAttemptTimeout("x")',
  () => net.setDefaultAutoSelectFamilyAttemptTimeout('x'),
  () => V.validateInt32('x', 'value', 1));
add('options.autoSelectFamilyAttemptTimeout',
  () => net.connect({ port: 80, host: 'x', autoSelectFamilyAttemptTimeout: -1 }),
  () => V.validateInt32(-1, 'options.autoSelectFamilyAttemptTimeout', 1));
add('fd -1', () => new net.Socket({ fd: -1 }), () => V.validateInt32(-1, 'fd', 0));
add('fd 1.5', () => new net.Socket({ fd: 1.5 }), () => V.validateInt32(1.5, 'fd', 0));
add('AbortSignal.timeout(-1)', () => AbortSignal.timeout(-1),
  () => V.validateUint32(-1, 'delay'));
add('Buffer.alloc(2**40)', () => Buffer.alloc(2 ** 40),
  () => V.validateNumber(2 ** 40, 'size', 0, 4294967296));
add('msecs -1', () => new net.Socket().setTimeout(-1),
  () => new codes.ERR_OUT_OF_RANGE('msecs', 'a non-negative finite number', -1));
add('msecs Infinity', () => new net.Socket().setTimeout(Infinity),
  () => new codes.ERR_OUT_OF_RANGE('msecs', 'a non-negative finite number', Infinity));
add('writeUInt8(300)', () => Buffer.alloc(8).writeUInt8(300),
  () => new codes.ERR_OUT_OF_RANGE('value', '>= 0 and <= 255', 300));
add('writeInt32LE(-(2**40)) separators', () => Buffer.alloc(8).writeInt32LE(-(2 ** 40)),
  () => new codes.ERR_OUT_OF_RANGE('value', '>= -2147483648 and <= 2147483647', -(2 ** 40)));
add('writeUInt32LE(2**33)', () => Buffer.alloc(8).writeUInt32LE(2 ** 33),
  () => new codes.ERR_OUT_OF_RANGE('value', '>= 0 and <= 4294967295', 2 ** 33));
add('bigint 2**64', () => Buffer.alloc(8).writeBigInt64LE(2n ** 64n),
  () => new codes.ERR_OUT_OF_RANGE('value', '>= -(2n ** 63n) and < 2n ** 63n', 2n ** 64n));
add('bigint -(2**64)', () => Buffer.alloc(8).writeBigInt64LE(-(2n ** 64n)),
  () => new codes.ERR_OUT_OF_RANGE('value', '>= -(2n ** 63n) and < 2n ** 63n', -(2n ** 64n)));
add('bigint -1n', () => Buffer.alloc(8).writeBigUInt64LE(-1n),
  () => new codes.ERR_OUT_OF_RANGE('value', '>= 0n and < 2n ** 64n', -1n));
add('randomInt replaceDefaultBoolean', () => crypto.randomInt(1, 1),
  () => new codes.ERR_OUT_OF_RANGE('max', 'greater than the value of "min" (1)', 1));
add('getSystemErrorName(1)', () => util.getSystemErrorName(1),
  () => new codes.ERR_OUT_OF_RANGE('err', 'a negative integer', 1));

// --- ERR_INVALID_ARG_VALUE -----------------------------------------------
add('objectMode', () => new net.Socket({ objectMode: true }),
  () => new codes.ERR_INVALID_ARG_VALUE('options.objectMode', true, 'is not supported'));
add('family 5 (validateOneOf)', () => net.connect({ port: 80, family: 5 }),
  () => V.validateOneOf(5, 'options.family', [0, 4, 6]));
add('dns family 5', () => dns.lookup('x', { family: 5 }, () => {}),
  () => V.validateOneOf(5, 'options.family', [0, 4, 6]));
add('listen({})', () => net.createServer().listen({}),
  () => new codes.ERR_INVALID_ARG_VALUE('options', {}, 'must have the property "port" or "path"'));
const longOpts = { foo: 'x'.repeat(200) };
add('listen(long) truncation', () => net.createServer().listen(longOpts),
  () => new codes.ERR_INVALID_ARG_VALUE('options', longOpts, 'must have the property "port" or "path"'));
add('listen({port:true})', () => net.createServer().listen({ port: true }),
  () => new codes.ERR_INVALID_ARG_VALUE('options', { port: true }));
add('readableHighWaterMark', () => net.connect({ port: 80, host: 'x', highWaterMark: -1 }),
  () => new codes.ERR_INVALID_ARG_VALUE('options.readableHighWaterMark', -1));
add('path null bytes', () => fs.readFileSync('a\0b'),
  () => new codes.ERR_INVALID_ARG_VALUE('path', 'a\0b',
    'must be a string, Uint8Array, or URL without null bytes'));

// --- ERR_MISSING_ARGS ----------------------------------------------------
add('connect()', () => net.connect(),
  () => new codes.ERR_MISSING_ARGS(['options', 'port', 'path']));
add('connect({})', () => net.connect({}),
  () => new codes.ERR_MISSING_ARGS(['options', 'port', 'path']));
add('new URL()', () => new URL(), () => new codes.ERR_MISSING_ARGS('url'));
add('addEventListener()', () => new EventTarget().addEventListener(),
  () => new codes.ERR_MISSING_ARGS('type', 'listener'));
add('lookupService()', () => dns.lookupService('127.0.0.1', 0),
  () => new codes.ERR_MISSING_ARGS('address', 'port', 'callback'));

// --- misc codes ----------------------------------------------------------
add('localAddress', () => net.connect({ port: 80, localAddress: 'x' }),
  () => new codes.ERR_INVALID_IP_ADDRESS('x'));
add('ERR_SERVER_ALREADY_LISTEN', () => {
  const srv = net.createServer().listen(0);
  try {
    srv.listen(0);
  } finally {
    srv.close();
  }
}, () => new codes.ERR_SERVER_ALREADY_LISTEN());
add('ERR_INVALID_FD_TYPE', () => new net.Socket({ fd: 99999 }),
  () => new codes.ERR_INVALID_FD_TYPE('UNKNOWN'));

for (const [label, nodeFn, ourFn] of syncCases) {
  test(`sync: ${label}`, () => {
    same(catchErr(nodeFn), catchErr(() => {
      const e = ourFn();
      if (e instanceof Error) throw e;
    }));
  });
}

// --- codes without a handy public trigger (message text checked) ---------
test('messages of codes without a sync trigger', () => {
  const expect = [
    [new codes.ERR_SERVER_NOT_RUNNING(), Error, 'Server is not running.'],
    [new codes.ERR_SOCKET_CLOSED(), Error, 'Socket is closed'],
    [new codes.ERR_SOCKET_CLOSED_BEFORE_CONNECTION(), Error,
      'Socket closed before the connection was established'],
    [new codes.ERR_SOCKET_CONNECTION_TIMEOUT(), Error, 'Socket connection timeout'],
    [new codes.ERR_INVALID_HANDLE_TYPE(), TypeError, 'This handle type cannot be sent'],
    [new codes.ERR_SOCKET_BAD_BUFFER_SIZE(), TypeError, 'Buffer size must be a positive integer'],
    [new codes.ERR_INVALID_THIS('Socket'), TypeError, 'Value of "this" must be of type Socket'],
    [new codes.ERR_MISSING_ARGS('a', 'b', 'c', 'd'), TypeError,
      'The "a", "b", "c", and "d" arguments must be specified'],
    [new codes.ERR_INVALID_ARG_TYPE('x', ['string', 'number', 'boolean'], 1), TypeError,
      'The "x" argument must be one of type string, number, or boolean. Received type number (1)'],
    [new codes.ERR_INVALID_ARG_TYPE('x', ['a', 'b'], 1), TypeError,
      'The "x" argument must be one of a or b. Received type number (1)'],
    [codes.ERR_SOCKET_BAD_PORT('Port', 0, false), RangeError,
      'Port should be > 0 and < 65536. Received type number (0).'],
  ];
  for (const [err, Base, message] of expect) {
    assert.ok(err instanceof Base);
    assert.strictEqual(err.constructor, Base);
    assert.strictEqual(err.message, message);
    assert.deepStrictEqual(Object.keys(err), ['code']);
    assert.strictEqual(String(err), `${Base.name} [${err.code}]: ${message}`);
    assert.strictEqual(err.stack.split('\n')[0], `${Base.name} [${err.code}]: ${message}`);
  }
  const fam = new codes.ERR_INVALID_ARG_VALUE.RangeError('x', 1);
  assert.ok(fam instanceof RangeError);
  assert.strictEqual(fam.message, "The argument 'x' is invalid. Received 1");
});

test('validatePort acceptance rules match Node', () => {
  for (const port of [0, 80, 65535, '80', ' 80 ', '0x10', '1e3', '0b11', '0', -0]) {
    // Node accepts these without throwing synchronously.
    net.connect({ port, host: '127.0.0.1' }).on('error', () => {}).destroy();
    assert.strictEqual(V.validatePort(port), (+port) | 0);
  }
  // Like Node, allowZero=false only rejects the number 0.
  assert.strictEqual(V.validatePort('0', 'Port', false), 0);
  assert.throws(() => V.validatePort(0, 'Port', false), { code: 'ERR_SOCKET_BAD_PORT' });
  for (const bad of [true, null, undefined, {}, [], 1n, '8 0', '80a']) {
    assert.throws(() => V.validatePort(bad), { code: 'ERR_SOCKET_BAD_PORT' });
  }
});

test('validateObject option forms', () => {
  assert.throws(() => V.validateObject([], 'o'), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => V.validateObject(() => {}, 'o'), { code: 'ERR_INVALID_ARG_TYPE' });
  V.validateObject(null, 'o', { nullable: true });
  V.validateObject(null, 'o', V.kValidateObjectAllowNullable);
  V.validateObject([], 'o', { allowArray: true });
  V.validateObject(() => {}, 'o', { allowFunction: true });
  V.validateObject(() => {}, 'o', V.kValidateObjectAllowObjects);
  assert.throws(() => V.validateObject(null, 'o', { allowArray: true }), { code: 'ERR_INVALID_ARG_TYPE' });
  V.validateAbortSignal(undefined, 's');
  V.validateAbortSignal(new AbortController().signal, 's');
});

test('stacks start at the caller', () => {
  function throwsFromValidator() {
    V.validateString(1, 'x');
  }
  function makesError() {
    return new codes.ERR_SOCKET_CLOSED();
  }
  const a = catchErr(throwsFromValidator);
  assert.match(a.stack.split('\n')[1], /at throwsFromValidator /);
  const b = makesError();
  assert.match(b.stack.split('\n')[1], /at makesError /);
  const c = (function callsErrno() {
    return new ErrnoException(-104, 'read');
  })();
  assert.match(c.stack.split('\n')[1], /at callsErrno /);
  // callable without `new`
  assert.strictEqual(codes.ERR_SOCKET_CLOSED().code, 'ERR_SOCKET_CLOSED');
});

// --- asynchronous errors from real sockets --------------------------------
function nextError(emitter) {
  return new Promise((resolve) => emitter.once('error', resolve));
}

function listen(server, ...args) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...args, () => resolve(server));
  });
}

async function closedPort() {
  const srv = await listen(net.createServer(), 0, '127.0.0.1');
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

test('connect ECONNREFUSED -> ExceptionWithHostPort', async () => {
  const port = await closedPort();
  const err = await nextError(net.connect(port, '127.0.0.1'));
  same(err, new ExceptionWithHostPort(err.errno, 'connect', '127.0.0.1', port));
  assert.deepStrictEqual(Object.keys(err), ['errno', 'code', 'syscall', 'address', 'port']);
});

test('connect ECONNREFUSED with local address', async () => {
  const port = await closedPort();
  const localPort = await closedPort();
  const err = await nextError(net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1', localPort }));
  const ours = new ExceptionWithHostPort(err.errno, 'connect', '127.0.0.1', port, `127.0.0.1:${localPort}`);
  ours.localAddress = '127.0.0.1';
  ours.localPort = localPort;
  same(err, ours);
});

test('IPC connect ENOENT -> ExceptionWithHostPort without port', async () => {
  const p = path.join(os.tmpdir(), `rsnet-missing-${process.pid}.sock`);
  const err = await nextError(net.connect(p));
  same(err, new ExceptionWithHostPort(err.errno, 'connect', p));
  assert.deepStrictEqual(Object.keys(err), ['errno', 'code', 'syscall', 'address']);
});

for (const host of [undefined, '::1', '127.0.0.1']) {
  test(`listen EADDRINUSE (${host ?? 'default'}) -> UVExceptionWithHostPort`, async () => {
    const first = await listen(net.createServer(), 0, host);
    const { port } = first.address();
    const second = net.createServer();
    second.listen(port, host);
    const err = await nextError(second);
    first.close();
    same(err, new UVExceptionWithHostPort(err.errno, 'listen', host ?? '::', port));
    assert.deepStrictEqual(Object.keys(err), ['code', 'errno', 'syscall', 'address', 'port']);
  });
}

test('listen on an unreachable pipe path (port -1)', async () => {
  const p = '/nonexistent-rsnet-dir/x.sock';
  const srv = net.createServer();
  srv.listen(p);
  const err = await nextError(srv);
  same(err, new UVExceptionWithHostPort(err.errno, 'listen', p, -1));
});

test('reset before accept -> connect ECONNRESET', async () => {
  const srv = await listen(net.createServer((c) => c.resetAndDestroy()), 0, '127.0.0.1');
  const { port } = srv.address();
  const err = await nextError(net.connect(port, '127.0.0.1'));
  srv.close();
  same(err, new ExceptionWithHostPort(err.errno, 'connect', '127.0.0.1', port));
});

test('reset while reading -> read ECONNRESET (ErrnoException)', async () => {
  const srv = await listen(net.createServer((c) => setTimeout(() => c.resetAndDestroy(), 50)), 0, '127.0.0.1');
  const client = net.connect(srv.address().port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  const err = await nextError(client);
  srv.close();
  assert.strictEqual(err.syscall, 'read');
  same(err, new ErrnoException(err.errno, 'read'));
  assert.deepStrictEqual(Object.keys(err), ['errno', 'code', 'syscall']);
});

test('ErrnoException with original', () => {
  const e = new ErrnoException(-104, 'read', 'extra');
  assert.strictEqual(e.message, 'read ECONNRESET extra');
  assert.strictEqual(e.constructor, Error);
});

test('server.close() when not running', async () => {
  const err = await new Promise((r) => net.createServer().close(r));
  same(err, new codes.ERR_SERVER_NOT_RUNNING());
});

test('ERR_INVALID_ADDRESS_FAMILY from lookup', async () => {
  const sock = net.connect({
    port: 80, host: 'foo', autoSelectFamily: false,
    lookup: (h, o, cb) => cb(null, '1.2.3.4', 5),
  });
  const err = await nextError(sock);
  same(err, new codes.ERR_INVALID_ADDRESS_FAMILY(5, 'foo', 80));
  assert.deepStrictEqual(Object.keys(err), ['code', 'host', 'port']);
});

test('ERR_INVALID_IP_ADDRESS from lookup', async () => {
  const sock = net.connect({
    port: 80, host: 'foo', autoSelectFamily: false,
    lookup: (h, o, cb) => cb(null, 'not-an-ip', 4),
  });
  same(await nextError(sock), new codes.ERR_INVALID_IP_ADDRESS('not-an-ip'));
});

test('happy eyeballs failure -> NodeAggregateError', async () => {
  const port = await closedPort();
  const sock = net.connect({
    port, host: 'foo', autoSelectFamily: true,
    lookup: (h, o, cb) => cb(null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]),
  });
  const err = await nextError(sock);
  const inner = err.errors.map((e) => new ExceptionWithHostPort(e.errno, 'connect', e.address, e.port));
  const ours = new NodeAggregateError(inner);
  same(err, ours);
  assert.deepStrictEqual(err.errors.map(String), ours.errors.map(String));
  assert.ok(ours instanceof AggregateError);
});

for (const reason of [undefined, 'why']) {
  test(`abort signal (${reason}) -> AbortError`, async () => {
    const ac = new AbortController();
    const sock = new net.Socket({ signal: ac.signal });
    const p = nextError(sock);
    ac.abort(reason);
    const err = await p;
    const ours = new AbortError(undefined, { cause: ac.signal.reason });
    same(err, ours);
    assert.strictEqual(ours.cause, err.cause);
  });
}

test('AbortError rejects non-object options like Node', () => {
  assert.throws(() => new AbortError('x', 1), {
    code: 'ERR_INVALID_ARG_TYPE',
    message: 'The "options" argument must be of type object. Received type number (1)',
  });
});

test('genericNodeError', () => {
  const err = genericNodeError('This socket has been ended by the other party', { code: 'EPIPE' });
  assert.strictEqual(err.constructor, Error);
  assert.strictEqual(err.message, 'This socket has been ended by the other party');
  assert.deepStrictEqual(Object.keys(err), ['code']);
  assert.strictEqual(String(err), 'Error: This socket has been ended by the other party');
});

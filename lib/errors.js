'use strict';

// Node-compatible error constructors for rsnet.
//
// Node's own `internal/errors` module is not reachable from user land, so this
// file rebuilds the pieces `net` needs, aiming for identical observable shape:
// base class, `name`, `constructor.name`, own enumerable keys, message text,
// `String(err)` and the first line of `err.stack`.

const util = require('util');

const { inspect, format } = util;

// ---------------------------------------------------------------------------
// Stack header handling.
//
// Node's stack formatter prints `${name} [${code}]: ${message}` as the first
// line of `err.stack` for any error carrying its private `kIsNodeError`
// symbol. That symbol lives on the prototypes of Node's own errors, so we
// borrow it from one of them. If that ever fails we fall back to a private
// symbol and rewrite the stack header eagerly.
function findNodeErrorSymbol() {
  let limit;
  let sample;
  try {
    limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
  } catch {
    limit = undefined;
  }
  try {
    Buffer.alloc(-1);
  } catch (err) {
    sample = err;
  } finally {
    try {
      if (limit !== undefined) Error.stackTraceLimit = limit;
    } catch {
      // ignore: frozen intrinsics
    }
  }
  for (let proto = sample && Object.getPrototypeOf(sample);
    proto && proto !== Error.prototype && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)) {
    for (const sym of Object.getOwnPropertySymbols(proto)) {
      if (sym.description === 'kIsNodeError') return sym;
    }
  }
  return null;
}

const nodeErrorSymbol = findNodeErrorSymbol();
const kIsNodeError = nodeErrorSymbol || Symbol('kIsNodeError');

// Only used when Node's symbol could not be found: rewrite the default
// `Name: message` header of an already captured stack.
function fixStackHeader(err) {
  if (nodeErrorSymbol !== null) return;
  let stack;
  try {
    stack = err.stack;
  } catch {
    return;
  }
  if (typeof stack !== 'string') return;
  const plain = Error.prototype.toString.call(err);
  if (!stack.startsWith(plain)) return;
  const header = `${err.name} [${err.code}]: ${err.message}`;
  Object.defineProperty(err, 'stack', {
    value: header + stack.slice(plain.length),
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

// Re-capture the stack of `err` so that it starts at the caller of `fn`
// (mirrors Node's hideStackFrames for errors thrown from validators).
function recaptureStack(err, fn) {
  if (err === null || typeof err !== 'object') return;
  if (!Error.stackTraceLimit) return;
  Error.captureStackTrace(err, fn);
  if (err[kIsNodeError] === true) fixStackHeader(err);
}

// Wraps `fn` so that errors it throws do not mention its own frames.
function hideStackFrames(fn) {
  function hidden(...args) {
    try {
      return Reflect.apply(fn, this, args);
    } catch (err) {
      recaptureStack(err, hidden);
      throw err;
    }
  }
  Object.defineProperty(hidden, 'name', { value: fn.name, configurable: true });
  hidden.withoutStackTrace = fn;
  return hidden;
}

// ---------------------------------------------------------------------------
// Message helpers.

// Types that ERR_INVALID_ARG_TYPE prints as "of type x" (lower-cased).
const primitiveTypeNames = new Set([
  'string', 'function', 'number', 'object', 'Function', 'Object',
  'boolean', 'bigint', 'symbol',
]);
const classNamePattern = /^[A-Z][a-zA-Z0-9]*$/;

function joinWords(list, conj = 'and') {
  const n = list.length;
  if (n === 0) return '';
  if (n === 1) return `${list[0]}`;
  if (n === 2) return `${list[0]} ${conj} ${list[1]}`;
  return `${list.slice(0, n - 1).join(', ')}, ${conj} ${list[n - 1]}`;
}

function clip(text, max, keep) {
  return text.length > max ? `${text.slice(0, keep)}...` : text;
}

// Describes a received value the way Node's type errors do.
function describeReceived(value) {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  const kind = typeof value;
  if (kind === 'number') {
    if (value === 0) return Object.is(value, -0) ? 'type number (-0)' : 'type number (0)';
    return `type number (${String(value)})`;
  }
  if (kind === 'bigint') return `type bigint (${String(value)}n)`;
  if (kind === 'boolean') return `type boolean (${value})`;
  if (kind === 'symbol') return `type symbol (${String(value)})`;
  if (kind === 'function') return `function ${value.name}`;
  if (kind === 'string') {
    const shown = clip(value, 28, 25);
    return shown.includes("'") ?
      `type string (${JSON.stringify(shown)})` :
      `type string ('${shown}')`;
  }
  if (kind === 'object') {
    const ctor = value.constructor;
    // The `in` check deliberately throws for primitive constructors, as Node does.
    if (ctor && 'name' in ctor) return `an instance of ${ctor.name}`;
    return inspect(value, { depth: -1 });
  }
  return `type ${kind} (${clip(inspect(value, { colors: false }), 28, 25)})`;
}

// 1234567 -> '1_234_567' (keeps a leading minus sign out of the grouping).
function groupDigits(text) {
  const signLen = text[0] === '-' ? 1 : 0;
  let tail = '';
  let end = text.length;
  while (end - signLen > 3) {
    tail = `_${text.slice(end - 3, end)}${tail}`;
    end -= 3;
  }
  return text.slice(0, end) + tail;
}

function invalidArgTypeMessage(name, expected, actual) {
  const expectedList = Array.isArray(expected) ? expected : [expected];
  let msg;
  if (name.endsWith(' argument')) {
    msg = `The ${name} must be `;
  } else {
    msg = `The "${name}" ${name.includes('.') ? 'property' : 'argument'} must be `;
  }

  const types = [];
  const classes = [];
  const others = [];
  for (const entry of expectedList) {
    if (primitiveTypeNames.has(entry)) types.push(entry.toLowerCase());
    else if (classNamePattern.test(entry)) classes.push(entry);
    else others.push(entry);
  }
  // When instances are listed too, a plain object is spelled as a class.
  if (classes.length > 0) {
    const at = types.indexOf('object');
    if (at !== -1) {
      types.splice(at, 1);
      classes.push('Object');
    }
  }

  const parts = [];
  if (types.length > 0) {
    parts.push(`${types.length > 1 ? 'one of type' : 'of type'} ${joinWords(types, 'or')}`);
  }
  if (classes.length > 0) {
    parts.push(`an instance of ${joinWords(classes, 'or')}`);
  }
  if (others.length > 1) {
    parts.push(`one of ${joinWords(others, 'or')}`);
  } else if (others.length === 1) {
    const only = others[0];
    parts.push(only.toLowerCase() !== only ? `an ${only}` : `${only}`);
  }
  return `${msg}${parts.join(' or ')}. Received ${describeReceived(actual)}`;
}

function invalidArgValueMessage(name, value, reason = 'is invalid') {
  const shown = clip(inspect(value), 128, 128);
  const what = name.includes('.') ? 'property' : 'argument';
  return `The ${what} '${name}' ${reason}. Received ${shown}`;
}

function missingArgsMessage(...names) {
  const quoted = names.map((n) => (Array.isArray(n) ?
    n.map((x) => `"${x}"`).join(' or ') :
    `"${n}"`));
  const plural = names.length > 1 ? 's' : '';
  return `The ${joinWords(quoted)} argument${plural} must be specified`;
}

function outOfRangeMessage(name, range, received, replaceDefaultBoolean = false) {
  const head = replaceDefaultBoolean ? name : `The value of "${name}" is out of range.`;
  let shown;
  if (Number.isInteger(received) && Math.abs(received) > 2 ** 32) {
    shown = groupDigits(String(received));
  } else if (typeof received === 'bigint') {
    const big = received > 2n ** 32n || received < -(2n ** 32n);
    shown = `${big ? groupDigits(String(received)) : String(received)}n`;
  } else {
    shown = inspect(received);
  }
  return `${head} It must be ${range}. Received ${shown}`;
}

function socketBadPortMessage(name = 'Port', port, allowZero = true) {
  const op = allowZero ? '>=' : '>';
  return `${name} should be ${op} 0 and < 65536. Received ${describeReceived(port)}.`;
}

function invalidAddressFamilyMessage(family, host, port) {
  // Node stores these on the error before the message is attached.
  this.host = host;
  this.port = port;
  return `Invalid address family: ${family} ${host}:${port}`;
}

// ---------------------------------------------------------------------------
// Error constructor factory.

function defineOwn(obj, key, value, enumerable) {
  Object.defineProperty(obj, key, {
    value,
    writable: true,
    enumerable,
    configurable: true,
  });
}

function makeCode(key, template, Base) {
  const hasPlaceholders = typeof template === 'string' && /%[sdifjoOc%]/.test(template);

  // Works with and without `new`. The stack is captured by the base Error
  // constructor, skipping every frame up to and including NodeError itself.
  function NodeError(...args) {
    const target = new.target || NodeError;
    let err;
    if (typeof template === 'function') {
      err = Reflect.construct(Base, [], target);
      defineOwn(err, 'code', key, true);
      defineOwn(err, 'message', Reflect.apply(template, err, args), false);
    } else {
      const text = hasPlaceholders ? format(template, ...args) : template;
      err = Reflect.construct(Base, [text], target);
      defineOwn(err, 'code', key, true);
    }
    fixStackHeader(err);
    return err;
  }

  const proto = Object.create(Base.prototype);
  Object.defineProperty(proto, 'constructor', {
    get() { return Base; },
    enumerable: false,
    configurable: true,
  });
  Object.defineProperty(proto, kIsNodeError, {
    get() { return true; },
    enumerable: false,
    configurable: true,
  });
  defineOwn(proto, 'toString', function toString() {
    return `${this.name} [${key}]: ${this.message}`;
  }, false);
  Object.defineProperty(NodeError, 'prototype', { value: proto, writable: false });
  Object.setPrototypeOf(NodeError, Base);
  return NodeError;
}

const codes = {};

// Registers a code; extra base classes are reachable as codes.X.RangeError etc.
function E(key, template, Base, ...otherBases) {
  const ctor = makeCode(key, template, Base);
  for (const other of otherBases) ctor[other.name] = makeCode(key, template, other);
  codes[key] = ctor;
  return ctor;
}

E('ERR_HTTP2_UNSUPPORTED_PROTOCOL', 'protocol "%s" is unsupported.', Error);
E('ERR_INVALID_ADDRESS_FAMILY', invalidAddressFamilyMessage, RangeError);
E('ERR_INVALID_ARG_TYPE', invalidArgTypeMessage, TypeError);
E('ERR_INVALID_ARG_VALUE', invalidArgValueMessage, TypeError, RangeError);
E('ERR_INVALID_FD_TYPE', 'Unsupported fd type: %s', TypeError);
E('ERR_INVALID_HANDLE_TYPE', 'This handle type cannot be sent', TypeError);
E('ERR_INVALID_IP_ADDRESS', 'Invalid IP address: %s', TypeError);
E('ERR_INVALID_THIS', 'Value of "this" must be of type %s', TypeError);
E('ERR_MISSING_ARGS', missingArgsMessage, TypeError);
E('ERR_OUT_OF_RANGE', outOfRangeMessage, RangeError);
E('ERR_SERVER_ALREADY_LISTEN',
  'Listen method has been called more than once without closing.', Error);
E('ERR_SERVER_NOT_RUNNING', 'Server is not running.', Error);
E('ERR_SOCKET_BAD_BUFFER_SIZE', 'Buffer size must be a positive integer', TypeError);
E('ERR_SOCKET_BAD_PORT', socketBadPortMessage, RangeError);
E('ERR_SOCKET_CLOSED', 'Socket is closed', Error);
E('ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
  'Socket closed before the connection was established', Error);
E('ERR_SOCKET_CONNECTION_TIMEOUT', 'Socket connection timeout', Error);
E('ERR_STREAM_DESTROYED', 'Cannot call %s after a stream was destroyed', Error);

// ---------------------------------------------------------------------------
// System errors.

let systemErrorMap;
function systemErrorInfo(status) {
  systemErrorMap ??= util.getSystemErrorMap();
  return systemErrorMap.get(status) || ['UNKNOWN', 'unknown error'];
}

function hostPortDetails(address, port) {
  if (port && port > 0) return ` ${address}:${port}`;
  if (address) return ` ${address}`;
  return '';
}

class ErrnoException extends Error {
  constructor(status, syscall, original) {
    const code = util.getSystemErrorName(status);
    super(original ? `${syscall} ${code} ${original}` : `${syscall} ${code}`);
    this.errno = status;
    this.code = code;
    this.syscall = syscall;
  }

  get ['constructor']() {
    return Error;
  }
}

class ExceptionWithHostPort extends Error {
  constructor(status, syscall, address, port, additional) {
    const code = util.getSystemErrorName(status);
    let details = hostPortDetails(address, port);
    if (additional) details += ` - Local (${additional})`;
    super(`${syscall} ${code}${details}`);
    this.errno = status;
    this.code = code;
    this.syscall = syscall;
    this.address = address;
    if (port) this.port = port;
  }

  get ['constructor']() {
    return Error;
  }
}

class UVExceptionWithHostPort extends Error {
  constructor(status, syscall, address, port) {
    const [code, description] = systemErrorInfo(status);
    super(`${syscall} ${code}: ${description}${hostPortDetails(address, port)}`);
    this.code = code;
    this.errno = status;
    this.syscall = syscall;
    this.address = address;
    if (port) this.port = port;
  }

  get ['constructor']() {
    return Error;
  }
}

class NodeAggregateError extends AggregateError {
  constructor(errors, message) {
    super(Array.from(errors), message);
    this.code = errors[0]?.code;
    fixStackHeader(this);
  }

  get [kIsNodeError]() {
    return true;
  }

  get ['constructor']() {
    return AggregateError;
  }
}

class AbortError extends Error {
  constructor(message = 'The operation was aborted', options = undefined) {
    if (options !== undefined && typeof options !== 'object') {
      throw new codes.ERR_INVALID_ARG_TYPE('options', 'Object', options);
    }
    super(message, options);
    this.code = 'ABORT_ERR';
    this.name = 'AbortError';
  }
}

function genericNodeError(message, props) {
  const err = new Error(message);
  Object.assign(err, props);
  Error.captureStackTrace(err, genericNodeError);
  return err;
}

module.exports = {
  codes,
  E,
  ErrnoException,
  ExceptionWithHostPort,
  UVExceptionWithHostPort,
  NodeAggregateError,
  AbortError,
  genericNodeError,
  hideStackFrames,
  kIsNodeError,
  // Exposed for tests and for callers that need Node-style formatting.
  determineSpecificType: describeReceived,
  addNumericalSeparator: groupDigits,
};

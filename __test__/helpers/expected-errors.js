'use strict';
// The errors the errors-*.test.js files expect, as fixtures/util.js's shape() shows
// them: one table, written once, of what Node 20 reports. A row is either a system
// error (a negative errno from libuv, and the syscall that failed) or one of Node's
// ERR_* errors (only `code`, sometimes `name`, is an own key).
const { shape } = require('../fixtures/util');

/** A system error; `address` and `port` are own keys only when it names an address. */
function systemError(code, errno, syscall, message, address, port) {
  const keys = address === undefined ? ['code', 'errno', 'syscall'] : ['address', 'code', 'errno', 'port', 'syscall'];
  return { ctor: 'Error', isError: true, name: 'Error', message, code, errno, syscall, address, port, keys };
}

/** One of Node's ERR_* errors (or an AbortError). */
function nodeError(code, message, { name = 'Error', keys = ['code'] } = {}) {
  return {
    ctor: name, isError: true, name, message, code, errno: undefined, syscall: undefined, address: undefined, port: undefined, keys,
  };
}

// port 'PORT': the placeholder the scenarios substitute for the ephemeral port.
const ECONNREFUSED = (addr, port = 'PORT') =>
  systemError('ECONNREFUSED', -111, 'connect', `connect ECONNREFUSED ${addr}:${port}`, addr, port);
const EADDRINUSE = (addr, port = 'PORT') =>
  systemError('EADDRINUSE', -98, 'listen', `listen EADDRINUSE: address already in use ${addr}:${port}`, addr, port);
const ECONNRESET = systemError('ECONNRESET', -104, 'read', 'read ECONNRESET');

const NOT_RUNNING = nodeError('ERR_SERVER_NOT_RUNNING', 'Server is not running.');
const ALREADY_LISTEN = nodeError('ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
const WRITE_AFTER_END = nodeError('ERR_STREAM_WRITE_AFTER_END', 'write after end');
const ABORT = nodeError('ABORT_ERR', 'The operation was aborted', { name: 'AbortError', keys: ['code', 'name'] });

// An AbortError's cause, in a comparable form (its class and name).
const causeOf = (e) => {
  const c = e && e.cause;
  if (c === undefined || c === null || typeof c !== 'object') return c;
  return `${c.constructor && c.constructor.name}:${c.name}`;
};

// The error a scenario passes to destroy(err), and its shape.
function boom() {
  const e = new Error('boom');
  e.code = 'EBOOM';
  return e;
}
function boomErr() { return boom(); }
const BOOM = shape(boom());

module.exports = {
  systemError, nodeError, ECONNREFUSED, EADDRINUSE, ECONNRESET, NOT_RUNNING, ALREADY_LISTEN, WRITE_AFTER_END, ABORT, causeOf, boom, boomErr, BOOM,
};

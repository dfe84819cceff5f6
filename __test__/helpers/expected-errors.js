'use strict';
// The errors the errors-*.test.js files expect, as fixtures/util.js's shape() shows
// them: what Node 20 reports, written once. An error is either a system error (a
// negative errno from libuv, and the syscall that failed) or one of Node's ERR_*
// errors (only `code`, sometimes `name`, is an own key); the ones several scenarios
// expect are named here, the others are built in place with the same two builders.
const { shape } = require('../fixtures/util');

// The errno of each code the scenarios meet (Linux, as libuv reports it: negative).
const ERRNO = {
  ENOENT: -2, EINVAL: -22, EPIPE: -32, ENETUNREACH: -101, ECONNRESET: -104, EADDRINUSE: -98,
  EADDRNOTAVAIL: -99, ECONNREFUSED: -111, EALREADY: -114, ENOTFOUND: -3008, EAI_AGAIN: -3001,
};

/**
 * A system error. `fields` holds what the error names (address, port, and for some
 * localAddress/localPort or hostname); a field is an own key of the error exactly when
 * it is not undefined. `fields.errno` overrides the errno of the table.
 */
function systemError(code, syscall, message, fields = {}) {
  const { errno = ERRNO[code], address, port, ...more } = fields;
  const named = { address, port, ...more };
  const keys = ['code', 'errno', 'syscall', ...Object.keys(named).filter((k) => named[k] !== undefined)].sort();
  return { ctor: 'Error', isError: true, name: 'Error', message, code, errno, syscall, address, port, ...more, keys };
}

/** One of Node's ERR_* errors (or an AbortError). */
function nodeError(code, message, { name = 'Error', keys = ['code'] } = {}) {
  return {
    ctor: name, isError: true, name, message, code, errno: undefined, syscall: undefined, address: undefined, port: undefined, keys,
  };
}

// port 'PORT': the placeholder the scenarios substitute for the ephemeral port.
const ECONNREFUSED = (address, port = 'PORT') =>
  systemError('ECONNREFUSED', 'connect', `connect ECONNREFUSED ${address}:${port}`, { address, port });
const EADDRINUSE = (address, port = 'PORT') =>
  systemError('EADDRINUSE', 'listen', `listen EADDRINUSE: address already in use ${address}:${port}`, { address, port });
const ECONNRESET = systemError('ECONNRESET', 'read', 'read ECONNRESET');

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

'use strict';
// Argument normalization shared by Socket#connect, net.connect and Server#listen.

// Node's own marker for normalized arguments, so that arrays normalized by either
// module (http and tls pass them around) are recognized by both.
const normalizedArgsSymbol =
  Object.getOwnPropertySymbols(require('node:net')._normalizeArgs([]))[0] || Symbol('normalizedArgs');

// A string that is not a non-negative number names a pipe (Unix socket) path.
function toNumber(x) {
  return (x = Number(x)) >= 0 ? x : false;
}

function isPipeName(s) {
  return typeof s === 'string' && toNumber(s) === false;
}

// Returns [options, cb|null] from the forms (options[, cb]), (path[, cb]) and
// ([port][, host][, cb]); a trailing [...] (listen's backlog) is left to the caller.
function normalizeArgs(args) {
  let arr;
  if (args.length === 0) {
    arr = [{}, null];
    arr[normalizedArgsSymbol] = true;
    return arr;
  }
  const first = args[0];
  let options = {};
  if (typeof first === 'object' && first !== null) {
    options = first;
  } else if (isPipeName(first)) {
    options.path = first;
  } else {
    options.port = first;
    if (args.length > 1 && typeof args[1] === 'string') options.host = args[1];
  }
  const cb = args[args.length - 1];
  arr = [options, typeof cb === 'function' ? cb : null];
  arr[normalizedArgsSymbol] = true;
  return arr;
}

module.exports = { normalizeArgs, normalizedArgsSymbol, isPipeName, toNumber };

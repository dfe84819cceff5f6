'use strict';
// A socket's idle timeout (socket.setTimeout(ms)): an unref'd timer, refreshed by
// every read and write of the socket and of the sockets it is layered on (`_parent`),
// that emits 'timeout' and leaves the socket open, as in Node's net.

const { clearTimeout, setTimeout } = require('node:timers');

const { debug } = require('./debug');
const { codes: { ERR_OUT_OF_RANGE } } = require('./errors');
const { validateFunction, validateNumber } = require('./validators');
const splice = require('./splice');
const symbols = require('./symbols');

const { kLastWriteQueueSize } = symbols;
const TIMEOUT_MAX = 2 ** 31 - 1;
const kOwnTimer = Symbol('kOwnTimer');

// The timer sits under Node's own (private) symbol, found on one of Node's sockets:
// Node's TLSSocket refreshes and clears the timers of the sockets under it through
// `_parent` with that symbol, and code that reads `socket[kTimeout]` (Node's tests do)
// finds rsnet's timer where it finds Node's.
const kTimeout = Object.getOwnPropertySymbols(new (require('node:net').Socket)())
  .find((s) => s.description === 'timeout') ?? symbols.kTimeout;

// Socket.prototype._unrefTimer: restarts the timer of this socket and its parents.
function unrefTimer() {
  for (let s = this; s !== null; s = s._parent) {
    if (s[kTimeout]) s[kTimeout].refresh();
  }
}

// Socket.prototype.setTimeout(msecs[, callback]).
function setStreamTimeout(msecs, callback) {
  if (this.destroyed) return this;
  this.timeout = msecs;
  msecs = getTimerDuration(msecs, 'msecs');
  clearTimeout(this[kTimeout]);
  if (msecs === 0) {
    if (callback !== undefined) {
      validateFunction(callback, 'callback');
      this.removeListener('timeout', callback);
    }
  } else {
    this[kTimeout] = armTimer(this, msecs);
    if (callback !== undefined) {
      validateFunction(callback, 'callback');
      this.once('timeout', callback);
    }
  }
  return this;
}

// The socket's timer, armed for `msecs` from now; unref'd: an idle timer never keeps
// the process alive. Node's net makes a new timer each time, born unref'd (an internal
// of Node's timers); a public setTimeout() is born ref'd, and unref() then takes the
// loop's reference back, two calls into libuv each time (Node's http server sets
// its keep-alive timeout after every response). So the socket's own timer, cleared
// (or run out) just before, is armed again instead, as Node's timers re-arm one on
// refresh(): a new async id and an init hook as a new timer would get, in the list
// for its duration, still unref'd. clearTimeout() dropped its callback (`_onTimeout`,
// where Node's Timeout keeps it, checked before a timer runs) and its duration.
function armTimer(socket, msecs) {
  const timer = socket[kOwnTimer];
  if (timer !== undefined && socket[kTimeout] === timer && timer._destroyed === true) {
    timer._onTimeout = () => socket._onTimeout();
    timer._idleTimeout = msecs;
    return timer.refresh();
  }
  const created = setTimeout(() => socket._onTimeout(), msecs).unref();
  socket[kOwnTimer] = created;
  return created;
}

function getTimerDuration(msecs, name) {
  validateNumber(msecs, name);
  if (msecs < 0 || !Number.isFinite(msecs)) {
    throw new ERR_OUT_OF_RANGE(name, 'a non-negative finite number', msecs);
  }
  if (msecs > TIMEOUT_MAX) {
    process.emitWarning(`${msecs} does not fit into a 32-bit signed integer.` +
      `\nTimer duration was truncated to ${TIMEOUT_MAX}.`, 'TimeoutOverflowWarning');
    return TIMEOUT_MAX;
  }
  return msecs;
}

// Socket.prototype._onTimeout: the timer ran out; activity JS did not see restarts it.
function onTimeout() {
  // Bytes spliced natively are activity JS did not see.
  if (splice.hadActivity(this)) {
    this._unrefTimer();
    return;
  }
  const handle = this._handle;
  const last = this[kLastWriteQueueSize];
  if (last > 0 && handle) {
    // A write still making progress is not idleness.
    const { writeQueueSize } = handle;
    if (last !== writeQueueSize) {
      this[kLastWriteQueueSize] = writeQueueSize;
      this._unrefTimer();
      return;
    }
  }
  debug('_onTimeout');
  this.emit('timeout');
}

module.exports = { kTimeout, unrefTimer, setStreamTimeout, onTimeout };

'use strict';
// What every Node handle (a HandleWrap) answers, for code that holds a socket's or a
// server's `_handle`: close(callback), and a TCP handle's reset(callback), call back
// once, from libuv's close phase, in the handle's async context; a second close is
// ignored; a closed handle holds no ref (hasRef() is false). rsnet's own layer closes
// without a callback and schedules its 'close' events itself (lib/socket.js).
// And the address verbs in Node's form, getsockname(out) / getpeername(out): they fill
// `out` and return 0 or an errno, which is also how lib/ calls them, so that a handle
// whose verb was replaced (as Node's tests do) is read as Node reads it.

const { scheduleClose } = require('./binding');
const { UV_EINVAL } = require('./binding').errno;
const { runInHandleContext } = require('./async_context');

const kClosed = Symbol('kClosed');

function defineHandleWrapMethods(HandleClass) {
  const proto = HandleClass.prototype;
  const nativeClose = proto.close;
  const nativeHasRef = proto.hasRef;
  proto.close = function close(callback) {
    if (this[kClosed]) return;
    this[kClosed] = true;
    nativeClose.call(this);
    if (typeof callback === 'function') callBackWhenClosed(this, callback);
  };
  proto.hasRef = function hasRef() {
    return !this[kClosed] && nativeHasRef.call(this);
  };
  if (typeof proto.reset === 'function') {
    const nativeReset = proto.reset;
    // A reset that fails (a shutdown in flight) leaves the handle open, as libuv does.
    proto.reset = function reset(callback) {
      if (this[kClosed]) return 0;
      const err = nativeReset.call(this);
      if (err) return err;
      this[kClosed] = true;
      if (typeof callback === 'function') callBackWhenClosed(this, callback);
      return 0;
    };
  }
}

// getsockname(out) / getpeername(out), as Node's; without `out`, the address itself
// (the native form) or undefined.
function defineAddressMethods(HandleClass) {
  const proto = HandleClass.prototype;
  for (const name of ['getsockname', 'getpeername']) {
    const native = proto[name];
    if (typeof native !== 'function') continue;
    proto[name] = function(out) {
      const address = native.call(this);
      if (out === undefined) return address;
      if (!address) return UV_EINVAL;
      out.address = address.address;
      out.family = address.family;
      out.port = address.port;
      return 0;
    };
  }
}

function callBackWhenClosed(handle, callback) {
  scheduleClose(() => runInHandleContext(handle, () => callback.call(handle)));
}

module.exports = { defineHandleWrapMethods, defineAddressMethods };

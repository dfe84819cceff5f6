'use strict';
// Listening to an AbortSignal as Node's net does.

const events = require('node:events');

const { validateAbortSignal } = require('./validators');

// Calls `listener` once when `signal` aborts; returns a function that stops listening.
// Node uses events.addAbortListener (Node >= 20.5), which another listener's
// stopImmediatePropagation() cannot silence; older 20.x get a plain listener.
function onAbort(signal, listener) {
  if (typeof events.addAbortListener === 'function') {
    const disposable = events.addAbortListener(signal, listener);
    return () => disposable[Symbol.dispose]();
  }
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

// new Socket({ signal }): the Duplex's own `signal` option destroys the socket with an
// AbortError; this marks it `_aborted` as Node's net does, listening from the next tick.
function addClientAbortSignalOption(self, options) {
  validateAbortSignal(options.signal, 'options.signal');
  const { signal } = options;
  let stopListening;
  function onAborted() {
    stopListening?.();
    self._aborted = true;
  }
  if (signal.aborted) {
    process.nextTick(onAborted);
  } else {
    process.nextTick(() => {
      stopListening = onAbort(signal, onAborted);
    });
  }
}

module.exports = { onAbort, addClientAbortSignalOption };

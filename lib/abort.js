'use strict';
// Listening to an AbortSignal as Node's net does.

const events = require('node:events');

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

module.exports = { onAbort };

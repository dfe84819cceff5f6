'use strict';
// What a native TLS connection reports beyond its bytes, as Node's TLSSocket does: a
// client's sessions ('session', getSession(), the `session` option), key log lines
// ('keylog' on the socket; on the server with the socket), and exported keying
// material. The native side collects sessions and lines while rustls handshakes
// (src/core/tls/extras.rs) and says so with an empty read; JS takes them then.

const { isArrayBufferView } = require('node:util').types;

const { codes: { ERR_INVALID_ARG_TYPE }, E } = require('../errors');
const { validateUint32, validateString } = require('../validators');
const { tlsSessionIsNative } = require('../native');

const ERR_TLS_INVALID_STATE = E('ERR_TLS_INVALID_STATE', 'TLS socket connection must be securely established',
  Error);

// A `session` option as Node takes it (a Buffer, or a latin1 string), or undefined.
function sessionBuffer(session) {
  if (session === undefined || session === null) return undefined;
  return typeof session === 'string' ? Buffer.from(session, 'latin1') : session;
}

// Why rustls cannot resume `session` (one of Node's own TLS), or null.
function unsupportedSession(session) {
  const buffer = sessionBuffer(session);
  if (buffer === undefined || buffer === false || buffer === 0) return null;
  // Node's own TLS gives what it says of anything else.
  if (!isArrayBufferView(buffer)) return 'option session (not a Buffer)';
  return tlsSessionIsNative(Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength)) ?
    null : 'option session (a session of Node\'s TLS)';
}

// Starts TLS on `handle` reporting sessions and key log lines when someone can want
// them: always on a client (its own session store, as Node's clients resume only the
// session they are given), on a server only for 'keylog' listeners.
function startReporting(socket, state, handle, native, servername) {
  const { options } = state;
  const keylog = options.isServer ?
    options.server.listenerCount('keylog') > 0 :
    socket.listenerCount('keylog') > 0;
  if (options.isServer && !keylog) {
    handle.startTls(native, servername);
    return;
  }
  const session = sessionBuffer(options.session);
  handle.startTlsReporting(native, servername, session === undefined ? undefined : Buffer.from(session), keylog);
  state.reporting = true;
  if (options.isServer) socket.on('keylog', (line) => options.server.emit('keylog', line, socket));
}

// Takes what the connection reported. A client's sessions wait for the server's
// certificate to be judged (Node emits none before 'secureConnect'). TLS 1.3 tickets
// come after the handshake, but may have been read (threaded driver) before JS heard
// of its end: all of them wait, as each would have come after it for OpenSSL.
function takeNews(socket, state, handle) {
  const news = handle.tlsNews();
  if (news === null || news === undefined) return;
  for (const line of news.keylog) socket.emit('keylog', line);
  for (const session of news.sessions) {
    state.session = session;
    if (state.verified) socket.emit('session', session);
    else (state.pendingSessions ??= []).push(session);
  }
}

// Client: the server's certificate was judged ('secureConnect' emitted). A TLS 1.2
// session resumed is no new session for OpenSSL (rustls hands it over again).
function verified(socket, state) {
  state.verified = true;
  const sessions = state.pendingSessions ?? [];
  state.pendingSessions = null;
  if (state.info?.resumed && state.info.protocol === 'TLSv1.2') return;
  for (const session of sessions) {
    if (socket.destroyed) return;
    socket.emit('session', session);
  }
}

function getSession(socket, state) {
  if (state.reporting && socket._handle) takeNews(socket, state, socket._handle);
  return state.session ?? undefined;
}

function exportKeyingMaterial(socket, length, label, context) {
  validateUint32(length, 'length', true);
  validateString(label, 'label');
  if (context !== undefined && !isArrayBufferView(context)) {
    throw new ERR_INVALID_ARG_TYPE('context', ['Buffer', 'TypedArray', 'DataView'], context);
  }
  if (!socket._secureEstablished || !socket._handle) throw new ERR_TLS_INVALID_STATE();
  const bytes = context === undefined ? undefined :
    Buffer.from(context.buffer, context.byteOffset, context.byteLength);
  return socket._handle.tlsExport(length, label, bytes);
}

module.exports = { startReporting, takeNews, verified, getSession, exportKeyingMaterial, unsupportedSession };

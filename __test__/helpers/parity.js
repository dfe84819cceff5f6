'use strict';
// Differential-testing harness: run the same scenario against Node's built-in
// `net` and against rsnet, record what each one saw, and compare.
//
// Everything here uses only the public `net` API of the module it is handed,
// so the very same scenario code runs unchanged against both implementations.

const net = require('node:net');
const crypto = require('node:crypto');
const assert = require('node:assert/strict');
const { performance } = require('node:perf_hooks');
const { inspect } = require('node:util');

// The implementations come from the harness (the one place that loads them); rsnet
// is loaded now, before any scenario runs, as it always was here.
const { impls, RSNET_IS_FALLBACK, ADDON, load } = require('./harness.js');

load('rsnet');

// ---------------------------------------------------------------------------
// Bounded waiting.
// ---------------------------------------------------------------------------
const DEFAULT_WAIT_MS = 10_000;

function describeEmitter(e) {
  if (e && typeof e.constructor === 'function') return e.constructor.name;
  return typeof e;
}

/**
 * Resolves with the listener arguments of the next `event` on `emitter`.
 * Rejects with a clear message after `timeoutMs`, and (unless we are waiting for
 * 'error' itself, or rejectOnError is false) if 'error' is emitted first.
 */
function once(emitter, event, { timeoutMs = DEFAULT_WAIT_MS, label, rejectOnError = true } = {}) {
  return new Promise((resolve, reject) => {
    const what = `'${event}' on ${label || describeEmitter(emitter)}`;
    const cleanup = () => {
      clearTimeout(timer);
      emitter.removeListener(event, onEvent);
      if (watchError) emitter.removeListener('error', onError);
    };
    const onEvent = (...args) => {
      cleanup();
      resolve(args);
    };
    const onError = (err) => {
      cleanup();
      const e = new Error(`got 'error' (${err && err.code}: ${err && err.message}) while waiting for ${what}`);
      e.cause = err;
      reject(e);
    };
    const watchError = rejectOnError && event !== 'error';
    const since = performance.now();
    const timer = setTimeout(() => {
      cleanup();
      // How late the timer ran tells a lost event from a starved or blocked process.
      const late = Math.round(performance.now() - since - timeoutMs);
      reject(new Error(`timed out after ${timeoutMs}ms (the timer ran ${late}ms late) waiting for ${what}`));
    }, timeoutMs);
    emitter.on(event, onEvent);
    if (watchError) emitter.on('error', onError);
  });
}

/** Bounds any promise: rejects with `what` in the message after `timeoutMs`. */
function withTimeout(promise, timeoutMs, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms` (only for "nothing more must happen" windows, never to wait for something). */
function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolve/reject exposed, bounded by a timeout. */
function deferred(timeoutMs = DEFAULT_WAIT_MS, what = 'deferred') {
  let resolve, reject;
  const p = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const bounded = withTimeout(p, timeoutMs, what);
  bounded.catch(() => {}); // observed by whoever awaits it
  return { promise: bounded, resolve, reject };
}

// ---------------------------------------------------------------------------
// Data helpers.
// ---------------------------------------------------------------------------
function toBuffer(chunk, encoding) {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding || 'utf8');
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`not data: ${inspect(chunk)}`);
}

/** sha256 (hex) of a buffer, a string, or an array of chunks. */
function sha256(data) {
  const h = crypto.createHash('sha256');
  for (const c of Array.isArray(data) ? data : [data]) h.update(toBuffer(c));
  return h.digest('hex');
}

/** Short hash for readable recordings. */
function shortHash(data) {
  return sha256(data).slice(0, 16);
}

/** Random (not repeating) bytes: chunk reordering or duplication shows up in checksums. */
function randomBytes(n) {
  const b = Buffer.allocUnsafe(n);
  crypto.randomFillSync(b);
  return b;
}

/** Accumulates length + sha256 of everything fed to it. */
class Digest {
  constructor() {
    this.hash = crypto.createHash('sha256');
    this.bytes = 0;
  }
  update(chunk, encoding) {
    const b = toBuffer(chunk, encoding);
    this.hash.update(b);
    this.bytes += b.length;
    return this;
  }
  result() {
    if (!this._result) this._result = { bytes: this.bytes, sha256: this.hash.digest('hex') };
    return this._result;
  }
}

/** Reads a socket to its 'end'; resolves { bytes, sha256, buffer? }. */
function collect(socket, { timeoutMs = 60_000, keep = false, label = 'socket' } = {}) {
  const d = new Digest();
  const parts = keep ? [] : null;
  socket.on('data', (c) => {
    d.update(c);
    if (parts) parts.push(toBuffer(c));
  });
  return once(socket, 'end', { timeoutMs, label: `${label} (collect)` }).then(() => {
    const r = { ...d.result() };
    if (parts) r.buffer = Buffer.concat(parts);
    return r;
  });
}

// ---------------------------------------------------------------------------
// Error shape.
// ---------------------------------------------------------------------------
/**
 * The observable shape of an error. `aliases` maps raw values (e.g. an ephemeral
 * port number) to stable tokens, so two runs on different ports compare equal.
 */
function errorShape(err, aliases = {}) {
  if (!err) return err;
  const escape = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const sub = (v) => {
    if (typeof v === 'number') return Object.hasOwn(aliases, String(v)) ? aliases[String(v)] : v;
    if (typeof v !== 'string') return v;
    let out = v;
    for (const [raw, token] of Object.entries(aliases)) {
      // whole tokens only: port 1 must not rewrite the 1s inside 127.0.0.1
      out = out.replace(new RegExp(`(?<![\\w.])${escape(raw)}(?![\\w.])`, 'g'), token);
    }
    return out;
  };
  return {
    name: err.name,
    code: err.code,
    errno: err.errno,
    syscall: err.syscall,
    address: err.address,
    port: sub(err.port),
    message: sub(err.message),
  };
}

// ---------------------------------------------------------------------------
// Recorder.
// ---------------------------------------------------------------------------
const SOCKET_EVENTS = ['lookup', 'connect', 'ready', 'data', 'end', 'finish', 'close', 'error', 'timeout', 'drain'];
const SERVER_EVENTS = ['listening', 'connection', 'close', 'error'];

function isServer(e) {
  return typeof e.listen === 'function' && typeof e.getConnections === 'function';
}

/**
 * An ordered log of events seen on one or more emitters.
 *
 * Consecutive 'data' events from the same emitter are merged into one entry
 * (chunk boundaries are not part of net's contract); the total of everything
 * received is kept per tag in `received[tag]` as { bytes, sha256 }.
 *
 * NOTE: listening for 'data' puts a socket in flowing mode, and listening for
 * 'error' makes errors "handled"; leave those out of `events` when that matters.
 */
class Recording {
  constructor() {
    this.entries = []; // { tag, ev, text, state, bytes?, chars? }
    this.counts = {}; // `${tag}${ev}` -> n
    this.errors = []; // raw error objects, in order
    this._digests = {};
  }

  _push(tag, ev, text, state, extra) {
    const key = tag ? `${tag}:${ev}` : ev;
    this.counts[key] = (this.counts[key] || 0) + 1;
    const last = this.entries[this.entries.length - 1];
    if (ev === 'data' && last && last.ev === 'data' && last.tag === tag && last.kind === extra.kind) {
      last.size += extra.size;
      return;
    }
    this.entries.push({ tag, ev, text, state, ...extra });
  }

  /**
   * The log as strings, e.g. ['connect', 'data(5B)', 'end', 'close(false)'].
   * exclude/only filter by event name; data runs separated only by excluded
   * events are merged again. state:true appends '@readyState' to every entry.
   */
  view({ exclude = [], only = null, state = false, tag } = {}) {
    const picked = this.entries.filter(
      (e) => !exclude.includes(e.ev) && (!only || only.includes(e.ev)) && (tag === undefined || e.tag === tag),
    );
    const merged = [];
    for (const e of picked) {
      const last = merged[merged.length - 1];
      if (e.ev === 'data' && last && last.ev === 'data' && last.tag === e.tag && last.kind === e.kind) {
        last.size += e.size;
      } else merged.push({ ...e });
    }
    return merged.map((e) => {
      const unit = { string: 'ch', buffer: 'B', other: '?' }[e.kind];
      let s = e.ev === 'data' ? `data(${e.size}${unit})` : e.text;
      if (tag === undefined && e.tag) s = `${e.tag}:${s}`;
      if (state) s += `@${e.state}`;
      return s;
    });
  }

  get log() {
    return this.view();
  }

  /** Appends a non-event line (e.g. a property snapshot) at the current position. */
  note(text, tag = '') {
    this.entries.push({ tag, ev: 'note', text, state: '' });
    return this;
  }

  /** Total data received per tag ('' when untagged): { bytes, sha256 }. */
  received(tag = '') {
    const d = this._digests[tag];
    return d ? d.result() : { bytes: 0, sha256: sha256(Buffer.alloc(0)) };
  }

  /** Every recorded 'error' as errorShape(err, aliases), in order. */
  errorShapes(aliases) {
    return this.errors.map((e) => errorShape(e, aliases));
  }

  count(ev, tag = '') {
    return this.counts[tag ? `${tag}:${ev}` : ev] || 0;
  }

  /**
   * Attach to a socket or server. Options: events (names to record), tag (prefix
   * for a shared log), state (readyState getter or true), aliases (for errorShape).
   */
  attach(emitter, { events, tag = '', state, aliases = {} } = {}) {
    const server = isServer(emitter);
    const names = events || (server ? SERVER_EVENTS : SOCKET_EVENTS);
    const getState =
      typeof state === 'function'
        ? state
        : () => (server ? (emitter.listening ? 'listening' : 'not-listening') : emitter.readyState);
    for (const ev of names) {
      emitter.on(ev, (...args) => {
        const st = getState(emitter);
        switch (ev) {
          case 'data': {
            const chunk = args[0];
            // A Uint8Array that is not a Buffer would be a difference too: logged as 'other'.
            const kind = typeof chunk === 'string' ? 'string' : Buffer.isBuffer(chunk) ? 'buffer' : 'other';
            if (!this._digests[tag]) this._digests[tag] = new Digest();
            this._digests[tag].update(chunk, 'utf8');
            this._push(tag, ev, null, st, { kind, size: chunk.length });
            return;
          }
          case 'close':
            this._push(tag, ev, server ? 'close' : `close(${args[0]})`, st);
            return;
          case 'error':
            this.errors.push(args[0]);
            this._push(tag, ev, `error(${args[0] && (args[0].code || args[0].name)})`, st);
            return;
          case 'lookup': {
            const [err, address, family, host] = args;
            this._push(tag, ev, `lookup(${err ? err.code : 'ok'},${address},${family},${host})`, st);
            return;
          }
          default:
            this._push(tag, ev, ev, st);
        }
      });
    }
    return this;
  }
}

/** Convenience: a fresh Recording attached to `emitter`. */
function record(emitter, opts) {
  return new Recording().attach(emitter, opts);
}

// ---------------------------------------------------------------------------
// Resource tracking: nothing is ever left listening or connected.
// ---------------------------------------------------------------------------
class Scope {
  constructor(label = '') {
    this.label = label;
    this.servers = new Set();
    this.sockets = new Set();
  }

  /** Track a server (and every connection it accepts) or a socket. Returns it. */
  track(x) {
    if (isServer(x)) {
      this.servers.add(x);
      x.on('connection', (s) => this.sockets.add(s));
    } else {
      this.sockets.add(x);
    }
    return x;
  }

  /** mod.createServer(...) tracked, then listening on port 0 of `host`. */
  async server(mod, { host = '127.0.0.1', port = 0, options, onConnection, listenArgs } = {}) {
    const server = this.track(options ? mod.createServer(options) : mod.createServer());
    if (onConnection) server.on('connection', onConnection);
    await listen(server, ...(listenArgs || [port, host]));
    return server;
  }

  /** mod.createConnection(opts) tracked; resolves once connected. */
  async connect(mod, opts) {
    const sock = this.track(mod.createConnection(opts));
    await once(sock, 'connect', { label: `${this.label} client connect` });
    return sock;
  }

  async close() {
    for (const s of this.sockets) {
      if (!s.destroyed) s.destroy();
    }
    const waits = [];
    for (const srv of this.servers) {
      if (srv.listening) {
        waits.push(
          withTimeout(new Promise((resolve) => srv.close(() => resolve())), 10_000, `${this.label} server close`),
        );
      }
    }
    this.sockets.clear();
    this.servers.clear();
    await Promise.all(waits);
  }
}

/** scope.server(mod, { options, onConnection }), as { srv, port }. */
async function scopedServer(scope, mod, options, onConnection) {
  const srv = await scope.server(mod, { options, onConnection });
  return { srv, port: srv.address().port };
}

/** server.listen(...args), resolved on 'listening', rejected on 'error' or timeout. */
async function listen(server, ...args) {
  const p = once(server, 'listening', { label: 'server listen' });
  server.listen(...args);
  await p;
  return server.address();
}

/** Close a server; destroy the given connections first so 'close' can happen. */
async function closeServer(server, conns = [], timeoutMs = 10_000) {
  for (const c of conns) if (!c.destroyed) c.destroy();
  if (!server.listening) return;
  await withTimeout(new Promise((resolve) => server.close(() => resolve())), timeoutMs, 'server close');
}

/**
 * withServer(mod, opts, handler): a listening server for the duration of handler.
 * opts: { host='127.0.0.1', port=0, options (createServer options), onConnection }
 * handler(server, { port, host, address, conns }) — conns is the live set of accepted sockets.
 * The server and every accepted connection are closed afterwards, whatever happens.
 */
async function withServer(mod, opts, handler) {
  const { host = '127.0.0.1', port = 0, options, onConnection } = opts || {};
  const server = options ? mod.createServer(options) : mod.createServer();
  const conns = new Set();
  server.on('connection', (s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
  });
  if (onConnection) server.on('connection', onConnection);
  try {
    const address = await listen(server, port, host);
    return await handler(server, { port: address.port, host, address, conns });
  } finally {
    await closeServer(server, conns);
  }
}

// ---------------------------------------------------------------------------
// Running scenarios against both implementations.
// ---------------------------------------------------------------------------
/**
 * Runs scenario(mod, label, scope) once with net and once with rsnet
 * (sequentially: the two runs never share the event loop's attention).
 * Returns { net, rsnet }. The scope is closed after each run.
 */
async function runBoth(scenario) {
  const results = {};
  for (const label of ['net', 'rsnet']) {
    const scope = new Scope(label);
    try {
      results[label] = await scenario(impls[label], label, scope);
    } catch (err) {
      err.message = `[${label}] ${err.message}`;
      throw err;
    } finally {
      await scope.close();
    }
  }
  return results;
}

/** The four server/client pairings. The first one (net/net) is the reference. */
const PAIRS = [
  { label: 'net->net', server: 'net', client: 'net' },
  { label: 'rsnet->rsnet', server: 'rsnet', client: 'rsnet' },
  { label: 'rsnet->net', server: 'net', client: 'rsnet' }, // rsnet client, net server
  { label: 'net->rsnet', server: 'rsnet', client: 'net' }, // net client, rsnet server
];

/**
 * Runs scenario({ server, client, label }, scope) for every pairing (client->server).
 * Returns { 'net->net': r, 'rsnet->rsnet': r, 'rsnet->net': r, 'net->rsnet': r }.
 */
async function runPairs(scenario, { pairs = PAIRS } = {}) {
  const results = {};
  for (const p of pairs) {
    const scope = new Scope(p.label);
    try {
      results[p.label] = await scenario({ server: impls[p.server], client: impls[p.client], label: p.label }, scope);
    } catch (err) {
      err.message = `[${p.label}] ${err.message}`;
      throw err;
    } finally {
      await scope.close();
    }
  }
  return results;
}

/**
 * Asserts every result equals the reference one (the first key: 'net' or
 * 'net->net'), after checking the reference itself against `expected` (a value
 * compared with deepStrictEqual, or a function that asserts), so a scenario that
 * records nothing cannot pass.
 */
function assertParity(results, expected) {
  const [refLabel, ...others] = Object.keys(results);
  const ref = results[refLabel];
  if (typeof expected === 'function') expected(ref, refLabel);
  else if (expected !== undefined) {
    assert.deepStrictEqual(ref, expected, `${refLabel} (the reference) did not record what the test expects`);
  }
  for (const label of others) {
    if (typeof expected === 'function') {
      // Run the expectation on each result first: gives the most specific message.
      expected(results[label], label);
    }
    assert.deepStrictEqual(results[label], ref, `${label} differs from ${refLabel}`);
  }
}

/** Is IPv6 loopback usable here? (cached) */
let ipv6Cache;
function hasIPv6() {
  if (ipv6Cache === undefined) {
    ipv6Cache = new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(0, '::1', () => s.close(() => resolve(true)));
    });
  }
  return ipv6Cache;
}

module.exports = {
  impls,
  RSNET_IS_FALLBACK,
  ADDON,
  once,
  withTimeout,
  delay,
  deferred,
  toBuffer,
  sha256,
  shortHash,
  randomBytes,
  Digest,
  collect,
  errorShape,
  Recording,
  record,
  SOCKET_EVENTS,
  SERVER_EVENTS,
  Scope,
  scopedServer,
  listen,
  closeServer,
  withServer,
  runBoth,
  runPairs,
  PAIRS,
  assertParity,
  hasIPv6,
};

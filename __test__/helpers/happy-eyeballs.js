'use strict';
// Shared by the happy-eyeballs*.test.js files: a custom lookup with a fixed answer, a
// recorder of the connection-level events (lookup, connectionAttempt*, connect,
// error, close), and a 127.0.0.1-only server to connect to.
const P = require('./parity');
const { shape } = require('../fixtures/util');
const { ECONNREFUSED } = require('./expected-errors');

const V6_FIRST = [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }];

// A custom lookup returning `list`, honouring options.all; records the options it got.
function fakeLookup(list, calls) {
  return (hostname, options, cb) => {
    calls.push({ hostname, options: { ...options } });
    if (options.all) cb(null, list.map((a) => ({ ...a })));
    else cb(null, list[0].address, list[0].family);
  };
}

// Records the connection-level events of `sock` in order, ports -> 'PORT'.
function recordHE(sock, port) {
  const ev = [];
  const subs = { [port]: 'PORT' };
  const p = (x) => (x === port ? 'PORT' : x);
  sock.on('lookup', (err, address, family, host) => ev.push(['lookup', err ? shape(err, subs) : err, address, family, host]));
  sock.on('connectionAttempt', (ip, prt, family) => ev.push(['attempt', ip, p(prt), family]));
  sock.on('connectionAttemptFailed', (ip, prt, family, err) => ev.push(['attemptFailed', ip, p(prt), family, shape(err, subs)]));
  sock.on('connectionAttemptTimeout', (ip, prt, family) => ev.push(['attemptTimeout', ip, p(prt), family]));
  sock.on('connect', () => ev.push(['connect', sock.remoteAddress, p(sock.remotePort), sock.remoteFamily]));
  sock.on('ready', () => ev.push('ready'));
  sock.on('error', (e) => ev.push(['error', shape(e, subs)]));
  sock.on('close', (h) => ev.push(['close', h]));
  return ev;
}

const attempted = (sock, port) =>
  sock.autoSelectFamilyAttemptedAddresses && sock.autoSelectFamilyAttemptedAddresses.map((a) => a.replace(`:${port}`, ':PORT'));

// A refused attempt on `addr` (the ephemeral port shown as 'PORT').
const REFUSED = (addr) => ECONNREFUSED(addr);

// Connects `new mod.Socket()` (listeners attached before connect(), so nothing
// emitted synchronously is missed) and waits for 'close'.
async function connectAndClose(mod, scope, opts, port, { onConnect } = {}) {
  const s = scope.track(new mod.Socket());
  const ev = recordHE(s, port);
  s.on('connect', () => (onConnect ? onConnect(s) : (s.resume(), s.end())));
  s.connect(opts);
  await P.once(s, 'close', { rejectOnError: false, timeoutMs: 20_000 });
  return { s, ev };
}

// A server on 127.0.0.1 only that says 'hi' and ends.
async function v4Server(mod, scope) {
  const srv = await scope.server(P.impls.net, { host: '127.0.0.1' });
  srv.on('connection', (c) => { c.on('error', () => {}); c.end('hi'); });
  return srv.address().port;
}

module.exports = { V6_FIRST, fakeLookup, recordHE, attempted, REFUSED, connectAndClose, v4Server };

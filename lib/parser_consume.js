'use strict';
// Node's HTTP parser reads a stream handle's bytes itself once it `consume()`s the
// handle: Node's http server does so for every socket whose handle says
// `isStreamBase`, and skips the socket's Readable and its 'data' events. Node's native
// consume() takes its argument for one of its own C++ stream handles; handed an rsnet
// handle, a napi object, it reads fields that object does not have and the process
// dies. So rsnet gives HTTPParser's consume/unconsume/getCurrentBuffer a path for its
// own handles, installed once per process by rsnet/register:
// - consume(handle): the parser becomes the handle's reader. Each chunk goes to
//   parser.execute() and then to the parser's kOnExecute(result), as Node's native
//   listener calls them; getCurrentBuffer() answers the chunk meanwhile. EOF and read
//   errors still go to the socket, as Node passes them to the previous listener.
// - unconsume(): the socket reads its handle again.
// Every other argument goes to Node's own methods, unchanged.
// A handle says `isStreamBase`, which makes Node's http server consume it (and skip
// the socket's Readable and 'data' events, as for its own sockets), only once it was
// offered to an http server (`offerToHttp`, which rsnet/register calls for the
// connections of Node's http servers): Node's http2 and tls would take any handle
// that says it for one of their own native streams, and rsnet gives them no such path.

const { SocketHandle, runTicks } = require('./binding');

const kPatched = Symbol.for('rsnet.parserConsume');
const kConsumer = Symbol('kConsumer');
const kConsumed = Symbol('kConsumed');
const kPreviousOnread = Symbol('kPreviousOnread');
const kCurrentChunk = Symbol('kCurrentChunk');
const kHeld = Symbol('kHeld');
const kExecuting = Symbol('kExecuting');
const kTicksOwed = Symbol('kTicksOwed');
const kOriginal = Symbol('kOriginal');

let installed = false;
let kOnExecute;
// The parser's callbacks from inside execute() that rsnet wraps, each with whether
// the tick and microtask queues run after it (see drainTicksBetweenCallbacks).
let WRAPPED_CALLBACKS;

function install() {
  if (installed) return;
  installed = true;
  const { HTTPParser } = require('node:_http_common');
  const proto = HTTPParser.prototype;
  // Patched once per process: a second copy of rsnet finds it done and leaves it.
  // That copy's handles are not the first copy's SocketHandle, so they would reach
  // Node's native consume; rsnet/register hands one instance to every require('rsnet')
  // so that a process has one copy.
  if (proto[kPatched]) return;
  kOnExecute = HTTPParser.kOnExecute;
  WRAPPED_CALLBACKS = [[HTTPParser.kOnHeaders, true], [HTTPParser.kOnHeadersComplete, false],
    [HTTPParser.kOnBody, true], [HTTPParser.kOnMessageComplete, false]];
  const { consume, unconsume, getCurrentBuffer } = proto;
  Object.defineProperty(proto, kPatched, { __proto__: null, value: true });

  proto.consume = function(handle) {
    if (!(handle instanceof SocketHandle)) return Reflect.apply(consume, this, arguments);
    if (this[kConsumed] !== undefined) unconsumeRsnet(this);
    this[kConsumed] = handle;
    handle[kConsumer] = this;
    handle[kPreviousOnread] = Object.hasOwn(handle, 'onread') ? handle.onread : undefined;
    handle.onread = onConsumedRead;
    drainTicksBetweenCallbacks(this);
  };

  proto.unconsume = function() {
    if (this[kConsumed] === undefined) return Reflect.apply(unconsume, this, arguments);
    unconsumeRsnet(this);
  };

  proto.getCurrentBuffer = function() {
    const chunk = this[kCurrentChunk];
    return chunk === undefined ? Reflect.apply(getCurrentBuffer, this, arguments) : chunk;
  };

  const { readStart } = SocketHandle.prototype;
  SocketHandle.prototype.readStart = function() {
    const status = Reflect.apply(readStart, this, arguments);
    if (this[kHeld] !== undefined) setImmediate(releaseHeld, this);
    return status;
  };
}

// When the tick and microtask queues run between the parser's callbacks, as Node's
// native consume has it (src/node_http_parser.cc): the body and header-flush callbacks
// (kOnBody; kOnHeaders, for headers beyond the parser's 32 or for trailers) are
// MakeCallback()s, after which the queues run, as after any I/O callback; message
// begin, headers complete and message complete are called in a scope that skips
// them. So a 'request' handler's req.resume() (a nextTick) takes effect before the
// body that came in the same chunk is pushed, while 'request' for the next pipelined
// request comes before the tick that emits 'end' for the one before.
// Under rsnet, execute() runs inside rsnet's handle callback, where the parser's
// MakeCallback is nested and runs nothing; the queues a body or flush callback owes
// run here when the parser's next callback starts, or once execute() returns (before
// kOnExecute), whichever comes first: nothing JS can see happens in between. Not at
// the end of the callback itself: that is still inside the parser's native callback
// scope, and a tick run there leaves Node's JS stack of async resources longer than
// its native one, which Node then trims with a slow property set when that scope
// closes (AsyncHooks::pop_async_context), about 700 instructions a time. Message
// begin needs no wrapper: the message complete before it ran what was owed and owes
// nothing itself.
function drainTicksBetweenCallbacks(parser) {
  for (const [key, owesTicks] of WRAPPED_CALLBACKS) {
    const original = parser[key];
    if (typeof original !== 'function' || original[kOriginal] !== undefined) continue;
    const wrapper = owesTicks ? function() {
      runOwedTicks(parser);
      const result = Reflect.apply(original, this, arguments);
      if (parser[kExecuting]) parser[kTicksOwed] = true;
      return result;
    } : function() {
      runOwedTicks(parser);
      return Reflect.apply(original, this, arguments);
    };
    wrapper[kOriginal] = original;
    parser[key] = wrapper;
  }
}

function runOwedTicks(parser) {
  if (parser[kTicksOwed] !== true) return;
  parser[kTicksOwed] = false;
  runTicks();
}

function restoreCallbacks(parser) {
  for (const [key] of WRAPPED_CALLBACKS) {
    const original = parser[key]?.[kOriginal];
    if (original !== undefined) parser[key] = original;
  }
}

function unconsumeRsnet(parser) {
  restoreCallbacks(parser);
  const handle = parser[kConsumed];
  parser[kConsumed] = undefined;
  if (handle[kConsumer] !== parser) return;
  handle[kConsumer] = undefined;
  const previous = handle[kPreviousOnread];
  handle[kPreviousOnread] = undefined;
  if (previous === undefined) delete handle.onread;
  else handle.onread = previous;
  // What was held goes to the socket, which reads the handle from now on.
  const held = handle[kHeld];
  handle[kHeld] = undefined;
  for (let i = 0; held !== undefined && i < held.length; i += 2) handle.onread(held[i], held[i + 1]);
}

// The consumed handle's reader: what Node's parser does as a stream listener. Reads
// that arrive while the socket's reading is stopped (Node's http stops it to hold off
// a flood of pipelined requests) wait until it starts again, as a stopped libuv stream
// reads nothing: rsnet may have read them already.
function onConsumedRead(nread, buf) {
  if (this[kHeld] !== undefined || this.reading === false) {
    (this[kHeld] ??= []).push(nread, buf);
    return;
  }
  readOne(this, this[kConsumer], nread, buf);
}

function readOne(handle, parser, nread, buf) {
  if (nread <= 0) {
    // EOF and errors are the socket's business (Node passes them on to it).
    const previous = handle[kPreviousOnread] ?? SocketHandle.prototype.onread;
    previous.call(handle, nread, buf);
    return;
  }
  handle.bytesRead += nread;
  parser[kExecuting] = true;
  let result;
  try {
    result = parser.execute(buf);
  } catch (err) {
    // A callback threw: as in Node, whose failed callback scope runs no ticks, the
    // ticks are left to the caller's next turn of the queue.
    parser[kTicksOwed] = false;
    throw err;
  } finally {
    parser[kExecuting] = false;
  }
  runOwedTicks(parser);
  const onExecute = parser[kOnExecute];
  if (typeof onExecute !== 'function') return;
  parser[kCurrentChunk] = buf;
  try {
    onExecute.call(parser, result);
  } finally {
    parser[kCurrentChunk] = undefined;
  }
}

// Held reads go on once reading starts again, in a later callback as new reads would
// come, and before any read that arrives meanwhile (it queues behind them). Each is a
// read callback of its own: the queues run after each, as after Node's kOnExecute.
function releaseHeld(handle) {
  const held = handle[kHeld];
  for (let first = true; held !== undefined && held.length > 0 && handle.reading !== false; first = false) {
    if (!first) runTicks();
    const parser = handle[kConsumer];
    if (parser === undefined || handle.reading === false) return;
    const nread = held.shift();
    readOne(handle, parser, nread, held.shift());
  }
  if (held !== undefined && held.length === 0) handle[kHeld] = undefined;
}

const offered = new WeakSet();

// Lets Node's http server that is about to get `socket` consume its handle.
function offerToHttp(socket) {
  install();
  if (socket._handle) offered.add(socket._handle);
}

Object.defineProperty(SocketHandle.prototype, 'isStreamBase', {
  __proto__: null,
  configurable: true,
  get() {
    return offered.has(this);
  },
});

module.exports = { install, offerToHttp };

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

const { SocketHandle } = require('./binding');

const kPatched = Symbol.for('rsnet.parserConsume');
const kConsumer = Symbol('kConsumer');
const kConsumed = Symbol('kConsumed');
const kPreviousOnread = Symbol('kPreviousOnread');
const kCurrentChunk = Symbol('kCurrentChunk');

let installed = false;
let kOnExecute;

function install() {
  if (installed) return;
  installed = true;
  const { HTTPParser } = require('node:_http_common');
  const proto = HTTPParser.prototype;
  // One rsnet copy patches it; a second copy in the same process finds it done and
  // keeps the first one's methods, which tell every rsnet copy's handles apart from
  // Node's by their class through the chain below.
  if (proto[kPatched]) return;
  kOnExecute = HTTPParser.kOnExecute;
  const { consume, unconsume, getCurrentBuffer } = proto;
  Object.defineProperty(proto, kPatched, { __proto__: null, value: true });

  proto.consume = function(handle) {
    if (!(handle instanceof SocketHandle)) return Reflect.apply(consume, this, arguments);
    if (this[kConsumed] !== undefined) unconsumeRsnet(this);
    this[kConsumed] = handle;
    handle[kConsumer] = this;
    handle[kPreviousOnread] = Object.hasOwn(handle, 'onread') ? handle.onread : undefined;
    handle.onread = onConsumedRead;
  };

  proto.unconsume = function() {
    if (this[kConsumed] === undefined) return Reflect.apply(unconsume, this, arguments);
    unconsumeRsnet(this);
  };

  proto.getCurrentBuffer = function() {
    const chunk = this[kCurrentChunk];
    return chunk === undefined ? Reflect.apply(getCurrentBuffer, this, arguments) : chunk;
  };
}

function unconsumeRsnet(parser) {
  const handle = parser[kConsumed];
  parser[kConsumed] = undefined;
  if (handle[kConsumer] !== parser) return;
  handle[kConsumer] = undefined;
  const previous = handle[kPreviousOnread];
  handle[kPreviousOnread] = undefined;
  if (previous === undefined) delete handle.onread;
  else handle.onread = previous;
}

// The consumed handle's reader: what Node's parser does as a stream listener.
function onConsumedRead(nread, buf) {
  const parser = this[kConsumer];
  if (nread <= 0) {
    // EOF and errors are the socket's business (Node passes them on to it).
    const previous = this[kPreviousOnread] ?? SocketHandle.prototype.onread;
    return previous.call(this, nread, buf);
  }
  this.bytesRead += nread;
  const result = parser.execute(buf);
  const onExecute = parser[kOnExecute];
  if (typeof onExecute !== 'function') return;
  parser[kCurrentChunk] = buf;
  try {
    onExecute.call(parser, result);
  } finally {
    parser[kCurrentChunk] = undefined;
  }
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

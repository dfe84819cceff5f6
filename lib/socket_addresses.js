'use strict';
// What a socket reports of its two ends and its byte counts: remote/local address,
// port and family (cached once known, as Node's `_peername`/`_sockname`), bytesRead
// and bytesWritten, which survive the handle (kept at destroy).

const splice = require('./splice');
const { kBytesRead, kBytesWritten, kIsPipe } = require('./symbols');

function getpeername() {
  if (!this._handle || !this._handle.getpeername || this.connecting) {
    return this._peername || {};
  } else if (!this._peername) {
    const out = {};
    const err = this._handle.getpeername(out);
    if (err) return out;
    this._peername = out;
  }
  return this._peername;
}

function getsockname() {
  if (!this._handle || !this._handle.getsockname) return {};
  if (!this._sockname) {
    // A pipe has no address of its own (Node's pipe handles have no getsockname).
    this._sockname = {};
    if (!this._handle[kIsPipe]) this._handle.getsockname(this._sockname);
  }
  return this._sockname;
}

// Bytes handed to write(), including what is still buffered in the Writable.
function bytesWritten() {
  let bytes = this._bytesDispatched;
  const data = this._pendingData;
  const encoding = this._pendingEncoding;
  const writableBuffer = this.writableBuffer;
  if (!writableBuffer) return undefined;
  for (const el of writableBuffer) {
    bytes += el.chunk instanceof Buffer ? el.chunk.length : Buffer.byteLength(el.chunk, el.encoding);
  }
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      const chunk = data[i];
      if (data.allBuffers || chunk instanceof Buffer) bytes += chunk.length;
      else bytes += Buffer.byteLength(chunk.chunk, chunk.encoding);
    }
  } else if (data) {
    bytes += typeof data !== 'string' ? data.length : Buffer.byteLength(data, encoding);
  }
  return bytes;
}

const GETTERS = {
  bytesRead() {
    const handle = this._handle;
    return handle ? handle.bytesRead + splice.splicedRead(handle) : this[kBytesRead];
  },
  remoteAddress() { return this._getpeername().address; },
  remoteFamily() { return this._getpeername().family; },
  remotePort() { return this._getpeername().port; },
  localAddress() { return this._getsockname().address; },
  localPort() { return this._getsockname().port; },
  localFamily() { return this._getsockname().family; },
  _bytesDispatched() {
    const handle = this._handle;
    return handle ? handle.bytesWritten + splice.splicedWritten(handle) : this[kBytesWritten];
  },
  bytesWritten,
};

// Node's net.Socket has these as enumerable, non-configurable prototype getters.
function defineAddressGetters(SocketClass) {
  const proto = SocketClass.prototype;
  proto._getpeername = getpeername;
  proto._getsockname = getsockname;
  for (const [name, get] of Object.entries(GETTERS)) {
    Object.defineProperty(proto, name, { __proto__: null, configurable: false, enumerable: true, get });
  }
}

module.exports = { defineAddressGetters };

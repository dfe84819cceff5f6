'use strict';
// socket.sendFile(pathOrFd[, { start, end }]) (rsnet beyond net, issue #20): a file sent
// by the kernel with sendfile(2), on a runtime thread (src/napi/send_file.rs). Returns a
// promise of the bytes sent.
//
// It is one write in the socket's Writable queue: it starts once the writes before it
// are out, the writes after it (and end()'s FIN) wait for it, and it succeeds or fails
// as a write would, with the same errors (write after end, destroyed, the write error
// that destroys the socket) and the bytes counted in bytesWritten. A path that cannot be
// opened only rejects the promise: the socket is untouched. The queue entry is a
// zero-length Buffer of its own that the socket's _write recognises; only a socket that
// has sent a file gets that _write, so no other write pays for it.

const fs = require('node:fs');
const { URL } = require('node:url');

const {
  codes: { ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, ERR_SOCKET_CLOSED, ERR_SOCKET_CLOSED_BEFORE_CONNECTION },
  ErrnoException,
} = require('./errors');
const { validateInt32, validateInteger, validateObject } = require('./validators');

// Queue entry -> what to send.
const fileWrites = new WeakMap();

function validateFile(file) {
  if (typeof file === 'number') {
    validateInt32(file, 'fd', 0);
    return file;
  }
  if (typeof file === 'string' || Buffer.isBuffer(file) || file instanceof URL) return file;
  throw new ERR_INVALID_ARG_TYPE('file', ['string', 'Buffer', 'URL', 'number'], file);
}

// { start, end } as fs.createReadStream takes them: byte offsets, `end` inclusive.
function validateRange(options) {
  if (options === undefined) return { start: 0, length: -1 };
  validateObject(options, 'options');
  const { start = 0, end = Infinity } = options;
  validateInteger(start, 'options.start', 0);
  if (end !== Infinity) {
    validateInteger(end, 'options.end', 0);
    if (start > end) throw new ERR_OUT_OF_RANGE('options.start', `<= "end" (here: ${end})`, start);
  }
  return { start, length: end === Infinity ? -1 : end - start + 1 };
}

// Set by install(): queue(socket, job, cb).
let queue = null;

function install(Socket, requireLinux) {
  const nodeWrite = Socket.prototype._write;
  const nodeWritev = Socket.prototype._writev;

  Socket.prototype.sendFile = function sendFile(file, options) {
    requireLinux('socket.sendFile()');
    file = validateFile(file);
    const range = validateRange(options);
    const job = { file, ...range, sent: 0, fileError: null, failed: null, settled: null };
    return new Promise((resolve, reject) => {
      queue(this, job, (err) => {
        if (err || job.fileError) reject(err || job.fileError);
        else resolve(job.sent);
      });
    });
  };

  // Puts a file job in the socket's Writable queue; returns what write() returned.
  // `job.failed(status)`, when given, turns a failed sendfile(2) into the write's
  // error (undefined: the write succeeds); without it, every failure is one.
  // `job.settled(waited)`, when given, runs as the send ends, before the write
  // completes; `waited`: the socket was full at some point.
  queue = function(socket, job, cb) {
    const entry = Buffer.alloc(0);
    fileWrites.set(entry, job);
    if (socket._write !== fileAwareWrite) {
      socket._write = fileAwareWrite;
      socket._writev = fileAwareWritev;
    }
    return socket.write(entry, cb);
  };

  function fileAwareWrite(data, encoding, cb) {
    const job = fileWrites.get(data);
    if (job === undefined) return nodeWrite.call(this, data, encoding, cb);
    fileWrites.delete(data);
    sendNow(this, job, cb);
  }

  // A corked batch: its plain runs go as one writev each, a file in its turn.
  function fileAwareWritev(chunks, cb) {
    if (!chunks.some((c) => fileWrites.has(c.chunk))) return nodeWritev.call(this, chunks, cb);
    let at = 0;
    const next = (err) => {
      if (err) return cb(err);
      if (at === chunks.length) return cb();
      if (fileWrites.has(chunks[at].chunk)) {
        const { chunk, encoding } = chunks[at++];
        return fileAwareWrite.call(this, chunk, encoding, next);
      }
      const from = at;
      while (at < chunks.length && !fileWrites.has(chunks[at].chunk)) at++;
      nodeWritev.call(this, chunks.slice(from, at), next);
    };
    next();
  }
}

// Runs one file job as the socket's current write; `cb` completes that write.
function sendNow(socket, job, cb) {
  if (socket.connecting) {
    // As _writeGeneric holds a write until 'connect'.
    const onClose = () => cb(new ERR_SOCKET_CLOSED_BEFORE_CONNECTION());
    socket.once('connect', () => {
      socket.off('close', onClose);
      sendNow(socket, job, cb);
    });
    socket.once('close', onClose);
    return;
  }
  if (!socket._handle) return cb(new ERR_SOCKET_CLOSED());
  socket._unrefTimer();
  if (typeof job.file === 'number') return sendFd(socket, job, job.file, cb);
  fs.open(job.file, 'r', (err, fd) => {
    // A file that cannot be opened fails the promise, not the socket: nothing was sent.
    if (err) {
      job.fileError = err;
      return cb();
    }
    // Opened here, closed here once sent (the addon sends from a duplicate of it).
    sendFd(socket, job, fd, (sendErr) => fs.close(fd, () => cb(sendErr)));
  });
}

function sendFd(socket, job, fd, cb) {
  const handle = socket._handle;
  if (!handle) return cb(new ERR_SOCKET_CLOSED());
  handle.sendFile(fd, job.start, job.length).then(([sent, status, waited]) => {
    job.sent = sent;
    // Before the write completes, so that what it does comes before the write's 'drain'.
    if (job.settled) job.settled(waited === 1);
    // Counted as written bytes, as Node's StreamBase counts a write it dispatched.
    handle.bytesWritten += sent;
    socket._unrefTimer();
    if (status >= 0) return cb();
    cb(job.failed ? job.failed(status) : new ErrnoException(status, 'write'));
  }, cb);
}

module.exports = { install, queueFileWrite: (socket, job, cb) => queue(socket, job, cb) };

'use strict';
// server.listen() from a `cluster` worker. As in Node 20, a worker does not bind its
// own socket: it asks the primary for one with `cluster._getServer()`, which answers
// with a Node handle. Round-robin (the default outside Windows): the primary keeps
// the socket, accepts, and passes each connection to a worker as a Node `TCP`/`Pipe`
// wrap. Shared (SCHED_NONE): the primary binds and passes the bound socket itself,
// and every worker listens on it. Either way rsnet takes over the socket with a
// dup'd fd, so connections are rsnet Sockets on rsnet handles.

const fs = require('node:fs');
const net = require('node:net');

const { dupFd, errno: { UV_EADDRINUSE, UV_EINVAL } } = require('./binding');
const { ExceptionWithHostPort, UVExceptionWithHostPort } = require('./errors');
const { serverHandleFromFd } = require('./fd');
const { kIsPipe } = require('./symbols');


let cluster;

// Where listen() goes: a worker asks the primary (unless `exclusive`), everyone else
// binds through `server._listen2` at once. Arguments as Node's listenInCluster.
function listenInCluster(server, address, port, addressType, backlog, fd, exclusive, flags, options) {
  cluster ??= require('node:cluster');
  if (cluster.isPrimary || exclusive) {
    server._listen2(address, port, addressType, backlog, fd, flags);
    return;
  }
  const serverQuery = { address, port, addressType, fd, flags, backlog, ...options };
  const listeningId = server._listeningId;
  cluster._getServer(server, serverQuery, (err, nodeHandle) => {
    // close() or another listen() came first: give the primary its socket back.
    if (listeningId !== server._listeningId) {
      if (nodeHandle) nodeHandle.close();
      return;
    }
    err = checkBoundPort(err, port, nodeHandle);
    // The same error as Node's, emitted at the same point (the primary's answer).
    if (err) return server.emit('error', new ExceptionWithHostPort(err, 'bind', address, port));
    // A shared socket comes as a real Node wrap, with an fd; round-robin's has none.
    const handle = typeof nodeHandle.fd === 'number' ?
      adoptSharedHandle(server, nodeHandle) : new RoundRobinServerHandle(server, nodeHandle);
    if (typeof handle === 'number') {
      nodeHandle.close();
      return server.emit('error', new UVExceptionWithHostPort(handle, 'listen', address, port));
    }
    server._handle = handle;
    server._listen2(address, port, addressType, backlog, fd, flags);
  });
}

// A failed bind() followed by listen() binds a random port instead of failing, so
// the primary's socket is checked to be on the port asked for (as Node does).
function checkBoundPort(err, port, nodeHandle) {
  if (err === 0 && port > 0 && typeof nodeHandle.getsockname === 'function') {
    const out = {};
    err = nodeHandle.getsockname(out);
    if (err === 0 && out.port !== port) err = UV_EADDRINUSE;
  }
  return err;
}

// Node's cluster code looks the net.Server up through the handle it gave out, under
// Node's private `owner_symbol`: to refuse connections past maxConnections (so that
// the primary hands them to another worker) and to close the server on
// worker.disconnect(). The symbol is not exported; a built-in Socket puts it on the
// handle it is given, which is where it is read from.
let ownerSymbol;
function nodeOwnerSymbol() {
  if (ownerSymbol === undefined) {
    const probe = {};
    new net.Socket({ handle: probe, readable: false, writable: false });
    ownerSymbol = Object.getOwnPropertySymbols(probe).find((s) => s.description === 'owner_symbol') ?? null;
  }
  return ownerSymbol;
}

function setNodeOwner(nodeHandle, server) {
  const symbol = nodeOwnerSymbol();
  if (symbol) nodeHandle[symbol] = server;
}

// A copy of a Node handle's socket fd, or a negative errno. Only a socket is kept:
// rsnet's open() takes ownership of (and on failure closes) any socket fd it is given.
function dupSocketFd(nodeHandle) {
  const fd = dupFd(nodeHandle.fd);
  if (fd < 0) return fd;
  let isSocket = false;
  try {
    isSocket = fs.fstatSync(fd).isSocket();
  } catch {}
  if (isSocket) return fd;
  fs.closeSync(fd);
  return UV_EINVAL;
}

// Shared mode: the Node wrap is a bound socket. rsnet adopts a copy as its own
// listening handle (as listen({fd}) does); the wrap's own fd is released at once.
function adoptSharedHandle(server, nodeWrap) {
  const fd = dupSocketFd(nodeWrap);
  if (fd < 0) return fd;
  const handle = serverHandleFromFd(fd);
  if (typeof handle === 'number') return handle;
  // The wrap's native close() frees its fd without a word to the primary; the
  // wrap's own close() (cluster's, which does tell the primary) waits for the
  // server to close, so that other workers can still join the socket meanwhile.
  const closeNodeFd = Object.getPrototypeOf(nodeWrap).close;
  closeNodeFd.call(nodeWrap);
  const closeNative = handle.close;
  handle.close = function close() {
    closeNative.call(this);
    nodeWrap.close();
  };
  setNodeOwner(nodeWrap, server);
  return handle;
}

// Round-robin mode: stands in for a ServerHandle. Node's cluster code owns the
// listening side (the primary accepts; `nodeHandle` only keeps the worker alive and
// tells the primary when the server closes); each connection it delivers is moved
// onto an rsnet SocketHandle and handed to rsnet's own `onconnection` (set by
// setupListenHandle), so maxConnections, pauseOnConnect, noDelay... apply as usual.
class RoundRobinServerHandle {
  constructor(server, nodeHandle) {
    this.nodeHandle = nodeHandle;
    // The primary reports an address for TCP only; a pipe server has none.
    this[kIsPipe] = typeof nodeHandle.getsockname !== 'function';
    this.onconnection = null;
    nodeHandle.onconnection = (err, nodeClient) => this.accept(err, nodeClient);
    setNodeOwner(nodeHandle, server);
  }

  accept(err, nodeClient) {
    if (err) return this.onconnection(err);
    const client = adoptConnection(nodeClient, this[kIsPipe]);
    if (typeof client === 'number') return this.onconnection(client);
    this.onconnection(0, client);
  }

  // The primary is already listening; the backlog is its own.
  listen(backlog) {
    return this.nodeHandle.listen(backlog);
  }

  // The primary's address, as the primary reported it (Node's form: fills `out`).
  getsockname(out) {
    return this.nodeHandle.getsockname(out);
  }

  close() {
    this.nodeHandle.close();
  }

  ref() {
    this.nodeHandle.ref();
  }

  unref() {
    this.nodeHandle.unref();
  }
}

// An accepted connection, from a Node wrap to an rsnet SocketHandle (or a negative
// errno). The wrap is closed in any case: the connection lives on in the copy.
function adoptConnection(nodeClient, isPipe) {
  const fd = dupSocketFd(nodeClient);
  nodeClient.close();
  if (fd < 0) return fd;
  const handle = require('./socket_handle').newHandle(isPipe);
  const err = handle.open(fd);
  if (err) {
    handle.close();
    return err;
  }
  return handle;
}

module.exports = { listenInCluster };

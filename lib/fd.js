'use strict';
// Adopting existing file descriptors: `new Socket({fd})` and `server.listen({fd})`.
// Sockets (TCP or Unix) and FIFOs/pipe ends are supported; other kinds fail as in Node.

const { guessHandleType, ServerHandle, errno: { UV_EINVAL } } = require('./binding');
const { codes: { ERR_INVALID_FD_TYPE }, ErrnoException } = require('./errors');
const { validateInt32 } = require('./validators');
const { initHandleContext } = require('./async_context');
const { newHandle } = require('./socket_handle');

// Gives `socket` a handle over `options.fd`; throws as Node's constructor does.
function adoptFd(socket, options) {
  const { fd } = options;
  validateInt32(fd, 'fd', 0);
  const type = guessHandleType(fd);
  if (type !== 'PIPE' && type !== 'TCP') throw new ERR_INVALID_FD_TYPE(type);
  const handle = newHandle(type === 'PIPE');
  const err = handle.open(fd);
  if (err) throw new ErrnoException(err, 'open');
  socket._handle = handle;
}

// A server handle over a listening (or bound) socket fd, or a negative status.
function serverHandleFromFd(fd) {
  if (!Number.isInteger(fd) || fd < 0) return UV_EINVAL;
  const type = guessHandleType(fd);
  if (type !== 'PIPE' && type !== 'TCP') return UV_EINVAL;
  const handle = new ServerHandle();
  initHandleContext(handle, { isPipe: type === 'PIPE', isServer: true });
  const err = handle.open(fd);
  if (err) {
    handle.close();
    return err;
  }
  return handle;
}

module.exports = { adoptFd, serverHandleFromFd };

'use strict';
// Adopting existing file descriptors (`new Socket({fd})`, `listen({fd})`).
// Not supported yet: fail the way Node fails for an fd it cannot use.

const { codes: { ERR_INVALID_FD_TYPE } } = require('./errors');
const { validateInt32 } = require('./validators');

const UV_EINVAL = -22;

function adoptFd(socket, options) {
  validateInt32(options.fd, 'fd', 0);
  throw new ERR_INVALID_FD_TYPE('UNKNOWN');
}

function serverHandleFromFd() {
  return UV_EINVAL;
}

module.exports = { adoptFd, serverHandleFromFd };

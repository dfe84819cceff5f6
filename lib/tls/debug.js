'use strict';
// NODE_DEBUG=rsnet: which TLS path a server or connection took (rsnet's native TLS or
// Node's own over an rsnet socket) and why.
const { debuglog } = require('node:util');

const logger = debuglog('rsnet');
const debug = logger.enabled ? logger : function debug() {};

module.exports = { debug };

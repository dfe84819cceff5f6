'use strict';
// require('rsnet/tls'): Node's tls API with TLS terminated in rsnet's native code.
module.exports = require('./lib/tls');

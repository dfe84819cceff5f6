'use strict';
// NODE_DEBUG=net: the same life-cycle lines as Node's net, in its format.
//
// util.debuglog's logger spreads its arguments into the real one even when the section
// is off, and some of these calls sit on the read path. Node reads NODE_DEBUG once at
// start-up, so whether 'net' is on is known now: when it is off, `debug` is a no-op
// and a call costs nothing but its arguments.
const { debuglog } = require('node:util');

const logger = debuglog('net');
const debug = logger.enabled ? logger : function debug() {};

module.exports = { debug };

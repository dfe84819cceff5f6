// Types of rsnet: exactly those of Node's `net` module (from @types/node), so code that
// type-checks with `import net = require('net')` type-checks with `require('rsnet')`.
/// <reference types="node" />
import net = require('node:net');
export = net;

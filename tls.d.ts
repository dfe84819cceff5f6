// rsnet/tls has the shape of Node's tls module.
import tls = require('node:tls');
export = tls;

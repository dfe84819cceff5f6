'use strict';
// node -r rsnet/register app.js: the program's require('net') (and import 'node:net'),
// Node's http/https/tls servers and the default agents run on rsnet. See lib/register.js.
require('./lib/register').install('require');

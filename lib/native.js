'use strict';
// The native addon, rsnet.node, which `npm install` builds from src/ (scripts/build.js)
// next to index.js. Loaded here and nowhere else; lib/binding.js routes its events.

const path = require('node:path');

module.exports = require(path.join(__dirname, '..', 'rsnet.node'));

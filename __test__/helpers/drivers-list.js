'use strict';
// Kept only for files written against it: DRIVERS now comes from helpers/harness.js
// (both drivers when a file runs on its own, the one of the run under `npm test`).
// Unlike helpers/drivers.js, loading this changes nothing.
const { DRIVERS } = require('./harness.js');

module.exports = { DRIVERS };

'use strict';
// The drivers a test file that spawns its own children covers (from helpers/harness.js):
// the one of this run when `npm test` runs the suite once per driver
// (RSNET_TEST_ONE_DRIVER=1), both when a file is run on its own. Unlike
// helpers/drivers.js, loading this changes nothing.
const { DRIVERS } = require('./harness.js');

module.exports = { DRIVERS };

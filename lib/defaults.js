'use strict';
// Process-wide connect defaults (net.setDefaultAutoSelectFamily...), shared with Node's
// own flags (`--no-network-family-autoselection`, `--network-family-autoselection-attempt-timeout`).

const { validateBoolean, validateInt32 } = require('./validators');

const builtin = require('node:net');

// Start from what Node's own flags make of them, then evolve independently.
const defaults = {
  autoSelectFamily: builtin.getDefaultAutoSelectFamily(),
  autoSelectFamilyAttemptTimeout: builtin.getDefaultAutoSelectFamilyAttemptTimeout(),
};

function getDefaultAutoSelectFamily() {
  return defaults.autoSelectFamily;
}

function setDefaultAutoSelectFamily(value) {
  validateBoolean(value, 'value');
  defaults.autoSelectFamily = value;
}

function getDefaultAutoSelectFamilyAttemptTimeout() {
  return defaults.autoSelectFamilyAttemptTimeout;
}

function setDefaultAutoSelectFamilyAttemptTimeout(value) {
  validateInt32(value, 'value', 1);
  defaults.autoSelectFamilyAttemptTimeout = value < 10 ? 10 : value;
}

module.exports = defaults;
Object.defineProperties(module.exports, {
  getDefaultAutoSelectFamily: { value: getDefaultAutoSelectFamily },
  setDefaultAutoSelectFamily: { value: setDefaultAutoSelectFamily },
  getDefaultAutoSelectFamilyAttemptTimeout: { value: getDefaultAutoSelectFamilyAttemptTimeout },
  setDefaultAutoSelectFamilyAttemptTimeout: { value: setDefaultAutoSelectFamilyAttemptTimeout },
});

'use strict';

// Argument validators that throw exactly what Node 20's internal validators
// throw (class, code, message). Errors thrown here have their stack trimmed
// so it starts at the caller of the validator, as Node does.

const {
  codes: {
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_OUT_OF_RANGE,
    ERR_SOCKET_BAD_PORT,
  },
  hideStackFrames,
} = require('./errors');

const kValidateObjectNone = 0;
const kValidateObjectAllowNullable = 1;
const kValidateObjectAllowArray = 2;
const kValidateObjectAllowFunction = 4;
const kValidateObjectAllowObjects = kValidateObjectAllowArray | kValidateObjectAllowFunction;
const kValidateObjectAllowObjectsAndNull = kValidateObjectAllowObjects | kValidateObjectAllowNullable;

function rangeText(min, max) {
  const lo = min != null ? `>= ${min}` : '';
  const hi = max != null ? `<= ${max}` : '';
  return lo && hi ? `${lo} && ${hi}` : lo + hi;
}

const validateNumber = hideStackFrames(function validateNumber(value, name, min = undefined, max) {
  if (typeof value !== 'number') throw new ERR_INVALID_ARG_TYPE(name, 'number', value);
  const bounded = min != null || max != null;
  if ((min != null && value < min) || (max != null && value > max) ||
      (bounded && Number.isNaN(value))) {
    throw new ERR_OUT_OF_RANGE(name, rangeText(min, max), value);
  }
});

function checkInteger(value, name, min, max) {
  if (typeof value !== 'number') throw new ERR_INVALID_ARG_TYPE(name, 'number', value);
  if (!Number.isInteger(value)) throw new ERR_OUT_OF_RANGE(name, 'an integer', value);
  if (value < min || value > max) throw new ERR_OUT_OF_RANGE(name, `>= ${min} && <= ${max}`, value);
}

const validateInteger = hideStackFrames(function validateInteger(
  value, name, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  checkInteger(value, name, min, max);
});

const validateInt32 = hideStackFrames(function validateInt32(
  value, name, min = -2147483648, max = 2147483647) {
  checkInteger(value, name, min, max);
});

const validateUint32 = hideStackFrames(function validateUint32(value, name, positive = false) {
  checkInteger(value, name, positive ? 1 : 0, 4294967295);
});

const validateBoolean = hideStackFrames(function validateBoolean(value, name) {
  if (typeof value !== 'boolean') throw new ERR_INVALID_ARG_TYPE(name, 'boolean', value);
});

const validateFunction = hideStackFrames(function validateFunction(value, name) {
  if (typeof value !== 'function') throw new ERR_INVALID_ARG_TYPE(name, 'Function', value);
});

const validateString = hideStackFrames(function validateString(value, name) {
  if (typeof value !== 'string') throw new ERR_INVALID_ARG_TYPE(name, 'string', value);
});

// `options` may be Node 20's bit flags (kValidateObject*) or the older
// `{ nullable, allowArray, allowFunction }` object form.
function objectFlags(options) {
  if (options == null) return kValidateObjectNone;
  if (typeof options === 'number') return options;
  return (options.nullable ? kValidateObjectAllowNullable : 0) |
    (options.allowArray ? kValidateObjectAllowArray : 0) |
    (options.allowFunction ? kValidateObjectAllowFunction : 0);
}

const validateObject = hideStackFrames(function validateObject(value, name, options) {
  const flags = objectFlags(options);
  const allowNull = (flags & kValidateObjectAllowNullable) !== 0;
  const allowArray = (flags & kValidateObjectAllowArray) !== 0;
  const allowFunction = (flags & kValidateObjectAllowFunction) !== 0;
  const kind = typeof value;
  if ((value === null && !allowNull) ||
      (!allowArray && Array.isArray(value)) ||
      (kind !== 'object' && !(allowFunction && kind === 'function'))) {
    throw new ERR_INVALID_ARG_TYPE(name, 'Object', value);
  }
});

const validateAbortSignal = hideStackFrames(function validateAbortSignal(signal, name) {
  if (signal === undefined) return;
  if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) {
    throw new ERR_INVALID_ARG_TYPE(name, 'AbortSignal', signal);
  }
});

const validateOneOf = hideStackFrames(function validateOneOf(value, name, oneOf) {
  if (oneOf.includes(value)) return;
  const allowed = oneOf.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ');
  throw new ERR_INVALID_ARG_VALUE(name, value, `must be one of: ${allowed}`);
});

// Accepts numbers and numeric strings (anything `+port` turns into an integer
// in [0, 65535]); blank strings are rejected. Note that, like Node, the
// allowZero check only applies to the number 0, not to the string '0'.
const validatePort = hideStackFrames(function validatePort(port, name = 'Port', allowZero = true) {
  const kind = typeof port;
  const ok = (kind === 'number' || (kind === 'string' && port.trim().length !== 0)) &&
    +port === (+port >>> 0) &&
    !(port > 0xFFFF) &&
    !(port === 0 && !allowZero);
  if (!ok) throw new ERR_SOCKET_BAD_PORT(name, port, allowZero);
  return port | 0;
});

module.exports = {
  validateAbortSignal,
  validateBoolean,
  validateFunction,
  validateInt32,
  validateInteger,
  validateNumber,
  validateObject,
  validateOneOf,
  validatePort,
  validateString,
  validateUint32,
  kValidateObjectNone,
  kValidateObjectAllowNullable,
  kValidateObjectAllowArray,
  kValidateObjectAllowFunction,
  kValidateObjectAllowObjects,
  kValidateObjectAllowObjectsAndNull,
};

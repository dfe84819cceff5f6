'use strict';
// Parity runs over Unix domain sockets (the ipc*.test.js files): every run gets a
// fresh directory of its own for its socket files, removed afterwards.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const P = require('./parity');

// A fresh directory for the duration of fn(dir); removed afterwards.
async function withDir(fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-ipc-'));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// runBoth, each run in its own temp dir; `dir` is replaced by '<DIR>' in shapes.
function runBothInDir(scenario) {
  return P.runBoth((mod, label, scope) => withDir((dir) => scenario(mod, label, scope, dir)));
}

function runPairsInDir(scenario) {
  return P.runPairs((impl, scope) => withDir((dir) => scenario(impl, scope, dir)));
}

const got = (buf) => ({ bytes: buf.length, sha256: P.sha256(buf) });

// Listen on a path; resolves once listening (rejects on 'error').
async function listenPath(scope, mod, args, options) {
  const srv = scope.track(options ? mod.createServer(options) : mod.createServer());
  await P.listen(srv, ...args);
  return srv;
}

module.exports = { withDir, runBothInDir, runPairsInDir, got, listenPath };

'use strict';
// The certificate of the TLS modes: a self-signed EC P-256 key and certificate for
// "localhost" and 127.0.0.1, made with the openssl CLI. The runner makes one per
// measurement in a temporary directory and names it in RSNET_BENCH_TLS_DIR, so that
// the server and the client of one run (the process under test and the fixed peer)
// share it and every client verifies the server as a real client would (`ca`).
// A script started by hand, without that variable, makes its own.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

// Writes key.pem and cert.pem into `dir`.
function makeCertificate(dir) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { cwd: dir, stdio: 'ignore' });
}

// A fresh temporary directory holding a certificate; the caller removes it.
function certificateDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-bench-tls-'));
  try {
    makeCertificate(dir);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

// { key, cert } from RSNET_BENCH_TLS_DIR, or from a certificate made now.
function credentials() {
  const given = process.env.RSNET_BENCH_TLS_DIR;
  const dir = given || certificateDir();
  try {
    return { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) };
  } finally {
    if (!given) fs.rmSync(dir, { recursive: true, force: true });
  }
}

// What a client trusts: the certificate of RSNET_BENCH_TLS_DIR.
function trusted() {
  const dir = process.env.RSNET_BENCH_TLS_DIR;
  if (!dir) throw new Error('RSNET_BENCH_TLS_DIR is not set: a TLS client needs the server\'s certificate');
  return fs.readFileSync(path.join(dir, 'cert.pem'));
}

module.exports = { certificateDir, credentials, trusted };

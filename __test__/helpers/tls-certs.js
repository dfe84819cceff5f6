'use strict';
// Certificates for the TLS tests, made at test time with the openssl CLI (installed by
// scripts/test-services.js) in a temp dir: a CA, a server certificate it signed
// (localhost, 127.0.0.1), a client certificate it signed, and a self-signed server
// certificate no one trusts.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

function openssl(dir, args) {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.error || r.stderr}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

// A leaf signed by the CA: `name`.key / `name`.pem.
function leaf(dir, name, cn, ext) {
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
}

/** Makes the certificates; returns { dir, ca, server: {key, cert}, client: {...}, selfSigned: {...} }. */
function makeCertificates() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rsnet-tls-certs-'));
  openssl(dir, ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=rsnet test CA']);
  leaf(dir, 'server', 'localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  leaf(dir, 'client', 'rsnet client', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  openssl(dir, ['req', '-x509', ...EC, '-keyout', 'self.key', '-out', 'self.pem', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  const read = (file) => fs.readFileSync(path.join(dir, file));
  return {
    dir,
    ca: read('ca.pem'),
    server: { key: read('server.key'), cert: read('server.pem') },
    client: { key: read('client.key'), cert: read('client.pem') },
    selfSigned: { key: read('self.key'), cert: read('self.pem') },
    remove() { fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

module.exports = { makeCertificates };

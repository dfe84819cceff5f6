'use strict';
// Builds the native addon from source: `cargo build --release`, then copies the
// shared library next to index.js as rsnet.node (the name lib/binding.js loads).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const result = spawnSync('cargo', ['build', '--release', '--locked'], {
  cwd: root,
  stdio: 'inherit',
});
if (result.error) {
  console.error(`rsnet: could not run cargo (${result.error.message}); install Rust from rustup.rs`);
  process.exit(1);
}
if (result.status !== 0) process.exit(result.status);

const libName = { darwin: 'librsnet.dylib', win32: 'rsnet.dll' }[process.platform] || 'librsnet.so';
const built = path.join(root, 'target', 'release', libName);
const target = path.join(root, 'rsnet.node');
// Copy to a temp name and rename, so a running process never sees a half-written file.
fs.copyFileSync(built, `${target}.tmp`);
fs.renameSync(`${target}.tmp`, target);
console.log(`rsnet: built ${path.relative(process.cwd(), target) || target}`);

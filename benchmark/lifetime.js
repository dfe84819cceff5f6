'use strict';
// Benchmark children must never outlive the runner. They exit on SIGTERM/SIGINT,
// when stdin closes (the runner finished with them, or died: its end of the pipe
// closes even on SIGKILL), and after a hard lifetime cap as a last resort.
// stdin is process.stdin from Node itself, independent of the module under test.

function exitWithParent(maxSeconds = Number(process.env.RSNET_BENCH_MAX_SECONDS) || 900) {
  const bye = () => process.exit(0);
  process.on('SIGTERM', bye);
  process.on('SIGINT', bye);
  process.stdin.on('end', bye);
  process.stdin.on('close', bye);
  process.stdin.on('error', bye);
  process.stdin.resume();
  setTimeout(() => {
    console.error(`lifetime cap of ${maxSeconds}s reached, exiting`);
    process.exit(3);
  }, maxSeconds * 1000).unref();
}

module.exports = { exitWithParent };

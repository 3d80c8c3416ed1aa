// Runs the whole suite with Node's test runner on the Node 24 binary from node_modules (npm i -D node@24).
//
// Nothing can hang it: every test (and hook) fails after TEST_TIMEOUT_MS unless it sets a longer `timeout` itself,
// and the whole run is killed after TEST_SUITE_TIMEOUT_MS. No --test-force-exit: with it, node's runner ended the run
// before every file had reported, and counted only the tests it had seen (sanitize.test.ts with docs.test.ts: 54 of
// 88), so tests could go unrun without a failure. Tests that need bubblewrap, socat or ripgrep skip when those are missing
// (test-support/system-tools.ts); the run ends with what was skipped and why, one line per reason.
import { spawn } from 'node:child_process';
import { globSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { stripVTControlCharacters } from 'node:util';

/**
 * Above the slowest test: 143 s measured (a fault run on 2 cores shared with 20+ busy processes; ~50 s on a quiet
 * one). Suites are not bound by it, only tests and hooks.
 */
const TEST_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS) || 300_000;
const SUITE_TIMEOUT_MS = Number(process.env.TEST_SUITE_TIMEOUT_MS) || 45 * 60_000;

const args = process.argv.slice(2);
const files = args.length ? args : globSync('__tests__/**/*.test.ts').sort();
console.log(
  `node ${process.version} (${process.execPath}); ${files.length} test files; ${TEST_TIMEOUT_MS / 1000} s per test`,
);
if (Number(process.versions.node.split('.')[0]) < 24) {
  console.error(
    'Tests must run on Node 24: run them through npm (npm test), which puts node_modules/.bin/node first on PATH.',
  );
  process.exit(1);
}

const started = Date.now();
const child = spawn(
  process.execPath,
  ['--test', '--test-concurrency=2', `--test-timeout=${TEST_TIMEOUT_MS}`, '--test-reporter=spec', ...files],
  // Piped to read the skip lines; colours kept when a person is watching.
  {
    stdio: ['inherit', 'pipe', 'inherit'],
    env: process.stdout.isTTY ? { FORCE_COLOR: '1', ...process.env } : process.env,
  },
);
const killer = setTimeout(() => {
  console.error(`The test run took longer than ${SUITE_TIMEOUT_MS / 1000} s (TEST_SUITE_TIMEOUT_MS): stopping it.`);
  child.kill('SIGKILL');
}, SUITE_TIMEOUT_MS);

/** Skip reason → how many tests or suites it skipped. The spec reporter prints `﹣ name (1.2ms) # reason`. */
const skips = new Map();
createInterface({ input: child.stdout }).on('line', (line) => {
  process.stdout.write(`${line}\n`);
  const m = /^\s*﹣ .* # (.+)$/.exec(stripVTControlCharacters(line));
  if (m) skips.set(m[1], (skips.get(m[1]) ?? 0) + 1);
});
child.on('close', (code, signal) => {
  clearTimeout(killer);
  if (skips.size) {
    console.log('\nSkipped (install what they name and run again to cover them):');
    for (const [reason, n] of skips) console.log(`  ${n} × ${reason}`);
  }
  console.log(
    `test run: ${Math.round((Date.now() - started) / 1000)} s, ${signal ? `killed (${signal})` : `exit code ${code}`}`,
  );
  process.exit(code ?? 1);
});

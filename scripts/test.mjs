// Runs the whole suite with Node's test runner on the Node 24 binary from node_modules (npm i -D node@24).
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const args = process.argv.slice(2);
const files = args.length ? args : globSync('__tests__/**/*.test.ts').sort();
console.log(`node ${process.version} (${process.execPath}); ${files.length} test files`);
if (Number(process.versions.node.split('.')[0]) < 24) {
  console.error('Tests must run on Node 24: run them through npm (npm test), which puts node_modules/.bin/node first on PATH.');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);

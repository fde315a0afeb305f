#!/usr/bin/env node
// Runs the compiled test suite with node's test runner, one file at a time (the machine has 2 cores and
// several suites start Redis, S3 and workers), then prints the plain `N passed, N failed` line CI reads.
const { spawnSync } = require('node:child_process');
const { readdirSync, readFileSync, statSync, mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..', 'dist', 'test');
const only = process.argv.slice(2);
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
const files = walk(root).filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
const tap = join(mkdtempSync(join(tmpdir(), 'sdfarm-tests-')), 'results.tap');
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
  { stdio: 'inherit' },
);
const count = (name) => {
  const m = readFileSync(tap, 'utf8').match(new RegExp(`^# ${name} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : 0;
};
const failed = count('fail') + count('cancelled');
console.log(`${count('pass')} passed, ${failed} failed, ${count('skipped') + count('todo')} skipped`);
process.exit(r.status ?? 1);

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import type { BenchmarkReport } from '../../libs/reports/src/report-types';
import { fixtureModel } from '../support/paths';
import { runCli } from './support/cli';

test('`sdfarm bench --local` measures the matrix in this process and prints the table, every policy in it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sdfarm-bench-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = await runCli([
    'bench', '--local', '--model', fixtureModel('tiny-sd21v'), '--steps', '2', '--batch-size', '1', '--width', '80', '--height', '64',
    '--warmup-runs', '1', '--runs', '1', '--chart', join(dir, 'chart.png'), '--json', join(dir, 'report.json'),
  ]);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as BenchmarkReport;
  assert.equal(report.status, 'completed');
  assert.deepEqual([report.params.width, report.params.height, report.params.model], [80, 64, 'tiny-sd21v']);
  const rows = report.workers[0]!.rows;
  assert.equal(rows.length, 4);
  for (const row of rows) {
    if (row.status === 'measured') {
      assert.deepEqual([row.warmupRuns, row.warmRunsMs.length, row.step?.count], [1, 1, 2]);
    } else {
      assert.equal(row.status, 'unsupported');
      assert.ok(row.reason && out.includes(row.reason), `${row.name}: the reason is printed`);
    }
  }
  assert.equal(out.split('\n').filter((l) => l.startsWith('| local-')).length, 4);
  assert.equal((await sharp(readFileSync(join(dir, 'chart.png'))).metadata()).format, 'png');
});

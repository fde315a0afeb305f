import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import type { BenchmarkReport } from '../../libs/reports/src/report-types';
import { startTestFarm } from '../farm/support/farm';
import { apiCaller, waitFor } from '../reports/support/api';

/** Debian's chromium (`apt-get install -y chromium`); CHROMIUM_PATH overrides. */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The image at `selector` is on the page and its pixels arrived (not a broken-image icon). */
async function imageLoaded(page: Page, selector: string): Promise<{ width: number; height: number }> {
  const img = page.locator(selector).first();
  await img.waitFor({ state: 'attached', timeout: 5000 });
  await img.scrollIntoViewIfNeeded();
  const size = await img.evaluate(
    (el: HTMLImageElement) =>
      new Promise<[number, number] | null>((resolve) => {
        const done = () => resolve(el.complete && el.naturalWidth > 0 ? [el.naturalWidth, el.naturalHeight] : null);
        if (el.complete) done();
        else {
          el.addEventListener('load', done, { once: true });
          el.addEventListener('error', done, { once: true });
        }
      }),
  );
  if (!size) throw new Error(`${selector}: the image did not load`);
  return { width: size[0], height: size[1] };
}

/** A screenshot of the element has drawn content: not one flat colour. */
async function showsPicture(page: Page, selector: string): Promise<void> {
  const shot = await page.locator(selector).first().screenshot();
  const { channels } = await sharp(shot).stats();
  const spread = Math.max(...channels.slice(0, 3).map((c) => c.stdev));
  assert.ok(spread > 2, `${selector}: the screenshot is flat (stdev ${spread.toFixed(2)}), no picture shows`);
}

test('the gallery in a real browser: recent jobs with thumbnails, job detail, benchmark charts', async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  const { farm, client } = await startTestFarm(t, { workers: 1 });
  const api = apiCaller(farm.apiUrl, farm.apiKey);

  const job = await client.submit({ prompts: ['a red bicycle by the sea'], batchSize: 2, steps: 2, width: 64, height: 64, seed: 11, scheduler: 'DDIMScheduler' });
  assert.equal((await client.follow(job.id, () => undefined)).status, 'completed');
  const bench = await api<{ id: string }>('POST', '/v1/benchmarks', { steps: 1, batchSize: 1, width: 64, height: 64, warmupRuns: 0, runs: 1 });
  assert.equal(bench.status, 201);
  const report = await waitFor(async () => (await api<BenchmarkReport>('GET', `/v1/benchmarks/${bench.body.id}`)).body, (r) => r.status === 'completed' || r.status === 'failed', 120_000, 'benchmark');
  assert.equal(report.status, 'completed');

  const profile = mkdtempSync(join(tmpdir(), 'sdfarm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    httpCredentials: { username: 'sdfarm', password: farm.apiKey },
    viewport: { width: 1280, height: 900 },
  });
  t.after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  const page = await context.newPage();

  await t.test('the index shows the job\'s thumbnail, the report\'s chart and the dashboard link', async () => {
    const started = performance.now();
    const res = await page.goto(`${farm.apiUrl}/`);
    assert.equal(res?.status(), 200);
    t.diagnostic(`index page loaded in ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(await page.locator('a#dashboard-link[href="/queues"]').count(), 1);
    const thumb = await imageLoaded(page, `li.job[data-job-id="${job.id}"] img.thumb`);
    assert.deepEqual(thumb, { width: 64, height: 64 });
    await showsPicture(page, `li.job[data-job-id="${job.id}"] img.thumb`);
    const chart = await imageLoaded(page, `section.benchmark[data-benchmark-id="${bench.body.id}"] img.chart`);
    assert.ok(chart.width > 400, `chart ${chart.width}×${chart.height}`);
    await showsPicture(page, `section.benchmark[data-benchmark-id="${bench.body.id}"] img.chart`);
    const file = join(process.env.SDFARM_SCREENSHOT_DIR || tmpdir(), 'sdfarm-gallery.png');
    await page.screenshot({ path: file, fullPage: true });
    t.diagnostic(`screenshot: ${file}`);
  });

  await t.test('the checks fail when an image is missing or broken', async () => {
    await assert.rejects(imageLoaded(page, 'li.job[data-job-id="no-such-job"] img.thumb'));
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.id = 'probe';
      img.src = '/gallery/jobs/no-such-job/images/0/thumb.webp';
      document.body.prepend(img);
    });
    await assert.rejects(imageLoaded(page, '#probe'), /did not load/);
  });

  await t.test('a job\'s page shows its images and its per-step chart', async () => {
    await page.click(`li.job[data-job-id="${job.id}"] a`);
    await page.waitForURL(`**/gallery/jobs/${job.id}`);
    assert.equal(await page.locator('img.image').count(), 2);
    for (let i = 0; i < 2; i++) assert.deepEqual(await imageLoaded(page, `img.image >> nth=${i}`), { width: 64, height: 64 });
    await imageLoaded(page, '#step-chart');
    await showsPicture(page, '#step-chart');
    await page.screenshot({ path: join(process.env.SDFARM_SCREENSHOT_DIR || tmpdir(), 'sdfarm-job.png'), fullPage: true });
  });

  await t.test('a benchmark\'s page shows its chart and its table with the reference rows', async () => {
    await page.goto(`${farm.apiUrl}/gallery/benchmarks/${bench.body.id}`);
    await imageLoaded(page, '#benchmark-chart');
    assert.equal(await page.locator('#report-table tr').count(), 1 + 4 + 8);
    assert.equal(await page.locator('#report-table tr.reference').count(), 8);
    assert.equal(await page.locator('#benchmark-status').textContent(), 'completed');
    await page.screenshot({ path: join(process.env.SDFARM_SCREENSHOT_DIR || tmpdir(), 'sdfarm-benchmark.png'), fullPage: true });
  });

  await t.test('without the key the browser gets a Basic challenge', async () => {
    const res = await fetch(`${farm.apiUrl}/`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.equal((await fetch(`${farm.apiUrl}/gallery/jobs/${job.id}/images/0/thumb.webp`)).status, 401);
  });
});

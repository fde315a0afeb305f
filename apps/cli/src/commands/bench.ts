import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { intArg, numArg } from '../args';
import { createProgress } from '../progress';
import { ModelRegistry } from '../../../../libs/contracts/src/model-registry';
import { createRuntime, RUNTIMES } from '../../../../libs/diffusion/src/runtime/create-runtime';
import type { RuntimeName } from '../../../../libs/diffusion/src/runtime/runtime';
import { buildReport } from '../../../../libs/reports/src/aggregate';
import type { BenchmarkRecord } from '../../../../libs/reports/src/benchmark-contract';
import { checkBenchmarkRequest } from '../../../../libs/reports/src/benchmark-request';
import { benchmarkChartSpec, renderSvg, svgToPng } from '../../../../libs/reports/src/chart';
import { runLocalBenchmark } from '../../../../libs/reports/src/local-benchmark';
import { reportMarkdown } from '../../../../libs/reports/src/markdown';
import type { BenchmarkReport } from '../../../../libs/reports/src/report-types';
import { softwareVersions } from '../../../../libs/contracts/src/versions';

interface BenchOptions {
  api: string;
  key?: string;
  local?: boolean;
  prompt?: string;
  negativePrompt?: string;
  model?: string;
  width?: number;
  height?: number;
  steps?: number;
  batchSize?: number;
  guidance?: number;
  seed?: number;
  scheduler?: string;
  policies?: string[];
  warmupRuns?: number;
  runs?: number;
  workers?: 1 | 'all' | string[];
  runtime: RuntimeName;
  provider?: string;
  chart?: string;
  json?: string;
  pollMs: number;
}

const workersArg = (v: string): 1 | 'all' | string[] => (v === '1' ? 1 : v === 'all' ? 'all' : v.split(',').map((s) => s.trim()).filter(Boolean));

/** The request body: only what was given on the command line, so the API (or the local check) fills the defaults. */
function requestBody(o: BenchOptions): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    prompt: o.prompt, negativePrompt: o.negativePrompt, model: o.model, width: o.width, height: o.height, steps: o.steps,
    batchSize: o.batchSize, guidanceScale: o.guidance, seed: o.seed, scheduler: o.scheduler, policies: o.policies,
    warmupRuns: o.warmupRuns, runs: o.runs, workers: o.workers,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/** `--key`, else SDFARM_API_KEY, else the first of SDFARM_API_KEYS, else the key `sdfarm up` keeps in its data folder. */
function apiKey(o: BenchOptions): string {
  const key = o.key || process.env.SDFARM_API_KEY || (process.env.SDFARM_API_KEYS ?? '').split(',')[0]?.trim();
  if (key) return key;
  const file = join(resolve(process.env.SDFARM_DATA || './.sdfarm'), 'api-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new Error('an API key is needed: --key, SDFARM_API_KEY, SDFARM_API_KEYS, or the key file of `sdfarm up` (<SDFARM_DATA>/api-key)');
}

async function call<T>(base: string, key: string, method: string, path: string, body?: unknown): Promise<{ value: T; raw: Buffer }> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const raw = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${raw.toString('utf8')}`);
  const json = /json/.test(res.headers.get('content-type') ?? '');
  return { value: (json ? JSON.parse(raw.toString('utf8')) : raw.toString('utf8')) as T, raw };
}

async function benchThroughApi(o: BenchOptions): Promise<{ markdown: string; report: BenchmarkReport; chart?: Buffer }> {
  const key = apiKey(o);
  const accepted = (await call<{ id: string; targets: string[] }>(o.api, key, 'POST', '/v1/benchmarks', requestBody(o))).value;
  console.error(`benchmark ${accepted.id} queued on ${accepted.targets.join(', ')}`);
  const view = createProgress('benchmark');
  let report: BenchmarkReport;
  for (;;) {
    report = (await call<BenchmarkReport>(o.api, key, 'GET', `/v1/benchmarks/${accepted.id}`)).value;
    const running = report.workers.find((w) => w.status === 'running');
    const what = running?.progress?.policy ? `${running.worker ?? running.target}: ${running.progress.policy} run ${running.progress.run}/${running.progress.runs}` : report.status;
    view.update(report.progress.done, report.progress.total, what);
    if (report.status === 'completed' || report.status === 'failed') break;
    await new Promise((r) => setTimeout(r, o.pollMs));
  }
  view.stop();
  const markdown = (await call<string>(o.api, key, 'GET', `/v1/benchmarks/${accepted.id}/report.md`)).value;
  const chart = o.chart ? (await call<string>(o.api, key, 'GET', `/v1/benchmarks/${accepted.id}/chart.png`)).raw : undefined;
  return { markdown, report, ...(chart ? { chart } : {}) };
}

/** `--model` in local mode: a registered name, or a diffusers folder. */
function localModels(model: string | undefined): { registry: ModelRegistry; name?: string } {
  if (model && existsSync(model) && statSync(model).isDirectory()) {
    const name = basename(resolve(model)).replace(/[^\w.-]/g, '_') || 'local';
    const extra = [process.env.SDFARM_MODELS, `${name}=${resolve(model)}`].filter(Boolean).join(',');
    return { registry: ModelRegistry.fromEnv({ ...process.env, SDFARM_MODELS: extra }), name };
  }
  return { registry: ModelRegistry.fromEnv(process.env) };
}

async function benchInProcess(o: BenchOptions): Promise<{ markdown: string; report: BenchmarkReport; chart?: Buffer }> {
  const { registry, name } = localModels(o.model);
  const body: Record<string, unknown> = { ...requestBody(o), ...(name ? { model: name } : {}) };
  if (body.workers !== undefined && body.workers !== 1) throw new Error('--workers needs the farm: --local runs in this process only');
  const checked = checkBenchmarkRequest(body, {
    limits: { maxPrompts: 1, maxPixels: Number(process.env.SDFARM_MAX_PIXELS || 1024 * 1024) },
    models: registry.names(),
    defaultModel: registry.defaultModel,
    nativeSize: (m) => registry.get(m),
  });
  if (!checked.ok) throw new Error(checked.errors.map((e) => e.message).join('; '));
  const params = checked.params;
  const runtime = await createRuntime(o.runtime, o.provider ? { provider: o.provider } : {});
  const id = `local-${Date.now()}`;
  const view = createProgress('benchmark');
  const measurement = await runLocalBenchmark(params, {
    benchmarkId: id,
    runtime,
    modelPath: registry.get(params.model).path,
    versions: softwareVersions(),
    hooks: { onProgress: (p) => view.update(p.done, p.total, `${p.policy} run ${p.run}/${p.runs}`) },
  });
  view.stop();
  const record: BenchmarkRecord = { id, params, createdAt: measurement.startedAt, targets: ['local'] };
  const report = buildReport(record, [{ target: 'local', status: 'completed', measurement }]);
  const chart = o.chart ? await svgToPng(await renderSvg(benchmarkChartSpec(report))) : undefined;
  return { markdown: reportMarkdown(report), report, ...(chart ? { chart } : {}) };
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description("Benchmark the experiment's policy matrix (float32, mixed float16, jit, both) on one worker through the API, or in this process with --local; prints the Markdown table")
    .option('--api <url>', 'the farm API (SDFARM_API_URL)', process.env.SDFARM_API_URL || 'http://127.0.0.1:3000')
    .option('--key <key>', 'API key (default: SDFARM_API_KEY, SDFARM_API_KEYS, or <SDFARM_DATA>/api-key)')
    .option('--local', 'run in this process with the local models (no API, no workers)')
    .option('--prompt <text>', 'prompt (default: the seed prompt)')
    .option('--negative-prompt <text>', 'negative prompt')
    .option('--model <name|folder>', 'registered model name; with --local also a diffusers folder')
    .option('--width <px>', 'width (default 512, or the native size of a smaller model)', intArg('--width', 8))
    .option('--height <px>', 'height', intArg('--height', 8))
    .option('--steps <n>', 'denoising steps (default 25)', intArg('--steps', 1))
    .option('--batch-size <n>', 'images per run (default 3)', intArg('--batch-size', 1))
    .option('--guidance <g>', 'guidance scale (default 7.5)', numArg('--guidance'))
    .option('--seed <n>', 'seed (default 0)', intArg('--seed', 0))
    .option('--scheduler <ClassName>', 'scheduler class (default DDIMScheduler, the experiment\'s sampler)')
    .option('--policies <list>', 'comma-separated, e.g. float32/eager,mixed_float16/jit (default: all four)', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--warmup-runs <n>', 'untimed runs per policy first (default 1)', intArg('--warmup-runs', 0))
    .option('--runs <n>', 'timed runs per policy (default 3)', intArg('--runs', 1))
    .option('--workers <1|all|ids>', 'one worker (1), every live worker (all), or comma-separated worker ids', workersArg)
    .addOption(new Option('--runtime <name>', 'model runtime with --local').choices(RUNTIMES).default('tfjs'))
    .option('--provider <name>', 'ONNX Runtime execution provider with --local (cpu, webgpu, cuda, tensorrt)')
    .option('--chart <file.png>', 'also save the chart as PNG')
    .option('--json <file>', 'also save the report as JSON')
    .option('--poll-ms <ms>', 'how often to ask the API for progress', intArg('--poll-ms', 50), 500)
    .action(async (o: BenchOptions) => {
      const { markdown, report, chart } = o.local ? await benchInProcess(o) : await benchThroughApi(o);
      console.log(markdown);
      if (o.chart && chart) await writeFile(o.chart, chart);
      if (o.json) await writeFile(o.json, `${JSON.stringify(report, null, 2)}\n`);
      if (report.status !== 'completed') process.exitCode = 1;
    });
}

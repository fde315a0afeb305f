/**
 * The seed experiment's policy comparison on this machine: per-step UNet time at Stable Diffusion
 * 1.5's real size (block_out_channels 320/640/1280/1280, cross-attention 768, 64×64 latents, batch 2
 * for classifier-free guidance) with random weights, for each policy (eager/jit × float32/
 * mixed_float16) on ONNX Runtime: first call (record, session creation, first run) and warm, plus the
 * jit graph loaded back from the compile cache as a restarted worker would.
 *
 *   npx tsx scripts/bench-unet-policies.ts [--provider cpu] [--warm 2] [--emulate-float16] [--tfjs] [--tiny]
 *
 * The full size holds a 3.4 GB model several times over (weights, ONNX Runtime's copy, prepacked
 * kernels) and takes minutes per policy on 2 cores: run it once, not in a loop.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import type { HostInput } from '../libs/diffusion/src/models/component';
import { createUNet, timestepProjection } from '../libs/diffusion/src/models/unet';
import type { ParamSpec, WeightMap } from '../libs/diffusion/src/ops/ops';
import type { OnnxExecutorStats } from '../libs/diffusion/src/runtime/onnx/onnx-executor';
import { OnnxRuntime } from '../libs/diffusion/src/runtime/onnx/onnx-runtime';
import { parseProvider } from '../libs/diffusion/src/runtime/onnx/providers';
import type { Executor, Policy, Runtime } from '../libs/diffusion/src/runtime/runtime';
import { TfjsRuntime } from '../libs/diffusion/src/runtime/tfjs/tfjs-runtime';
import { sizeOf, type HostTensor } from '../libs/diffusion/src/tensor';

const SD15_UNET = {
  in_channels: 4,
  out_channels: 4,
  block_out_channels: [320, 640, 1280, 1280],
  down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
  up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
  layers_per_block: 2,
  attention_head_dim: 8,
  cross_attention_dim: 768,
  norm_num_groups: 32,
  norm_eps: 1e-5,
  flip_sin_to_cos: true,
  freq_shift: 0,
  downsample_padding: 1,
};
/** Same layout at a size that runs in seconds, to check the script itself. */
const TINY_UNET = { ...SD15_UNET, block_out_channels: [32, 32, 64, 64], cross_attention_dim: 32 };

const POLICIES: readonly Policy[] = [
  { precision: 'float32', compile: 'eager' },
  { precision: 'float32', compile: 'jit' },
  { precision: 'mixed_float16', compile: 'eager' },
  { precision: 'mixed_float16', compile: 'jit' },
];

/**
 * Random weights made on demand from each tensor's name, never all held at once: the recorder
 * streams them to the model file one by one. Matrices are fan-in scaled and norm gains near 1, so
 * activations stay O(1) through 16 resnets and 16 transformers and float16 does not overflow.
 */
class RandomWeights implements ReadonlyMap<string, HostTensor> {
  private readonly specs: Map<string, ParamSpec>;

  constructor(params: readonly ParamSpec[]) {
    this.specs = new Map(params.map((p) => [p.name, p]));
  }

  get size(): number {
    return this.specs.size;
  }

  get(name: string): HostTensor | undefined {
    const spec = this.specs.get(name);
    if (!spec) return undefined;
    let data: Float32Array | undefined;
    return {
      shape: spec.shape,
      get data(): Float32Array {
        return (data ??= generate(spec));
      },
    };
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  forEach(callback: (value: HostTensor, key: string, map: ReadonlyMap<string, HostTensor>) => void): void {
    for (const name of this.specs.keys()) callback(this.get(name)!, name, this);
  }

  *entries(): MapIterator<[string, HostTensor]> {
    for (const name of this.specs.keys()) yield [name, this.get(name)!];
  }

  keys(): MapIterator<string> {
    return this.specs.keys();
  }

  *values(): MapIterator<HostTensor> {
    for (const name of this.specs.keys()) yield this.get(name)!;
  }

  [Symbol.iterator](): MapIterator<[string, HostTensor]> {
    return this.entries();
  }
}

function generate(spec: ParamSpec): Float32Array {
  let state = 2166136261;
  for (let i = 0; i < spec.name.length; i++) state = Math.imul(state ^ spec.name.charCodeAt(i), 16777619) >>> 0;
  const n = sizeOf(spec.shape);
  const isGain = spec.kind === 'vector' && /norm[^.]*\.weight$/.test(spec.name);
  const [scale, offset] = spec.kind === 'vector' ? [0.1, isGain ? 1 : 0] : [Math.sqrt(3 / (n / spec.shape[0]!)), 0];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = offset + scale * ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1);
  }
  return out;
}

interface Row {
  readonly runtime: string;
  readonly policy: string;
  readonly refused?: string;
  readonly firstCallMs?: number;
  readonly warmMs?: number;
  /** Process CPU time (all ONNX Runtime threads) per warm step: what the step costs when the cores are shared. */
  readonly warmCpuMs?: number;
  readonly stats?: OnnxExecutorStats;
  readonly cachedFirstCallMs?: number;
  readonly cachedStats?: OnnxExecutorStats;
  readonly finite?: boolean;
}

async function timeRuns(executor: Executor, inputs: Record<string, HostInput>, warm: number): Promise<{ firstCallMs: number; warmMs: number; warmCpuMs: number; finite: boolean }> {
  const t0 = performance.now();
  const first = await executor.run(inputs);
  const firstCallMs = performance.now() - t0;
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < warm; i++) {
    const t = performance.now();
    await executor.run(inputs);
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return {
    firstCallMs,
    warmMs: times[Math.floor(times.length / 2)] ?? NaN,
    warmCpuMs: (cpu.user + cpu.system) / 1000 / Math.max(warm, 1),
    finite: first.out!.data.every(Number.isFinite),
  };
}

async function main(): Promise<void> {
  const cli = new Command()
    .description('Per-step SD 1.5 UNet time for each precision/compile policy on ONNX Runtime')
    .addOption(new Option('--provider <name>', 'ONNX Runtime execution provider').default('cpu'))
    .option('--warm <n>', 'warm runs per policy (the median is reported)', (v) => Number.parseInt(v, 10), 2)
    .option('--batch <n>', 'UNet batch (2 = one image with guidance)', (v) => Number.parseInt(v, 10), 2)
    .option('--latent <n>', 'latent height and width (64 = 512×512 images)', (v) => Number.parseInt(v, 10), 64)
    .option('--emulate-float16', 'on CPU, run mixed_float16 anyway (float16 storage, float32 kernels) instead of reporting the refusal')
    .option('--tfjs', 'add the tfjs runtime (float32 eager) as a row')
    .option('--tiny', 'a tiny UNet of the same layout, to check the script')
    .option('--only <policies>', 'comma-separated subset, e.g. float32/eager,float32/jit')
    .option('--json <path>', 'also write the rows as JSON');
  cli.parse();
  const opts = cli.opts<{ provider: string; warm: number; batch: number; latent: number; emulateFloat16?: boolean; tfjs?: boolean; tiny?: boolean; only?: string; json?: string }>();
  const provider = parseProvider(opts.provider);
  const config = opts.tiny ? TINY_UNET : SD15_UNET;
  const unet = createUNet(config);
  const weights: WeightMap = new RandomWeights(unet.params);
  const params = unet.params.reduce((sum, p) => sum + sizeOf(p.shape), 0);
  const contextDim = config.cross_attention_dim;
  const noise = generate({ name: 'bench.inputs', shape: [opts.batch * (4 * opts.latent * opts.latent + 77 * contextDim)], kind: 'vector' });
  const inputs: Record<string, HostInput> = {
    sample: { data: noise.subarray(0, opts.batch * 4 * opts.latent * opts.latent), shape: [opts.batch, 4, opts.latent, opts.latent], layout: 'image' },
    time_proj: timestepProjection(Array.from({ length: opts.batch }, () => 981), unet.config),
    encoder_hidden_states: { data: noise.subarray(opts.batch * 4 * opts.latent * opts.latent).map((v) => v * 10), shape: [opts.batch, 77, contextDim], layout: 'plain' },
  };
  console.log(`UNet ${opts.tiny ? '(tiny)' : 'SD 1.5'}: ${(params / 1e6).toFixed(0)} M params (${((params * 4) / 1e9).toFixed(2)} GB float32), batch ${opts.batch}, latent ${opts.latent}×${opts.latent}, provider ${provider}`);

  const cacheDir = mkdtempSync(join(tmpdir(), 'sdfarm-bench-cache-'));
  const rows: Row[] = [];
  try {
    const only = opts.only?.split(',');
    for (const policy of POLICIES.filter((p) => !only || only.includes(`${p.precision}/${p.compile}`))) {
      const label = `${policy.precision} ${policy.compile}`;
      const runtime = await OnnxRuntime.create({ provider, cacheDir, cpuFloat16: opts.emulateFloat16 ? 'emulate' : 'refuse' });
      const refused = runtime.unsupportedReason(policy);
      if (refused) {
        rows.push({ runtime: 'onnxruntime', policy: label, refused });
        console.log(`${label}: refused (${refused})`);
        continue;
      }
      const emulated = policy.precision === 'mixed_float16' && provider === 'cpu';
      const shown = emulated ? `${label} (CPU-emulated)` : label;
      console.log(`${shown}: recording, compiling, first run…`);
      const executor = await runtime.prepare(unet, weights, policy);
      const timed = await timeRuns(executor, inputs, opts.warm);
      const stats = (executor as { stats?: OnnxExecutorStats }).stats;
      executor.dispose();
      let cached: { ms: number; stats?: OnnxExecutorStats } | undefined;
      if (policy.compile === 'jit') {
        // A restarted worker: a new runtime over the same cache directory.
        const again = await (await OnnxRuntime.create({ provider, cacheDir, cpuFloat16: opts.emulateFloat16 ? 'emulate' : 'refuse' })).prepare(unet, weights, policy);
        const t0 = performance.now();
        await again.run(inputs);
        cached = { ms: performance.now() - t0, stats: again.stats };
        again.dispose();
      }
      const row: Row = { runtime: 'onnxruntime', policy: shown, ...timed, stats, cachedFirstCallMs: cached?.ms, cachedStats: cached?.stats };
      rows.push(row);
      console.log(`${shown}: first call ${(timed.firstCallMs / 1000).toFixed(1)} s, warm ${(timed.warmMs / 1000).toFixed(2)} s/step (${(timed.warmCpuMs / 1000).toFixed(2)} s CPU)${timed.finite ? '' : ' — NON-FINITE OUTPUT'}`);
    }
    if (opts.tfjs) rows.push(await tfjsRow(unet, weights, inputs, opts.warm));
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  printTable(rows);
  if (opts.json) writeFileSync(opts.json, JSON.stringify(rows, null, 2));
}

async function tfjsRow(unet: ReturnType<typeof createUNet>, weights: WeightMap, inputs: Record<string, HostInput>, warm: number): Promise<Row> {
  const runtime: Runtime = await TfjsRuntime.create();
  const policy: Policy = { precision: 'float32', compile: 'eager' };
  const t0 = performance.now();
  const executor = await runtime.prepare(unet, weights, policy);
  const prepareMs = performance.now() - t0;
  const timed = await timeRuns(executor, inputs, warm);
  executor.dispose();
  return { runtime: `tfjs (${runtime.info.backend})`, policy: 'float32 eager', ...timed, firstCallMs: prepareMs + timed.firstCallMs };
}

function printTable(rows: readonly Row[]): void {
  const base = rows.find((r) => r.runtime === 'onnxruntime' && r.policy === 'float32 eager')?.warmMs;
  const s = (ms?: number) => (ms === undefined ? '—' : (ms / 1000).toFixed(2));
  console.log('\n| runtime | policy | first call (s) | record / session / first run (s) | warm per step (s) | CPU time per step (s) | speed-up vs float32 eager | jit from cache: first call (s) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.refused) {
      console.log(`| ${r.runtime} | ${r.policy} | refused: ${r.refused.split(':')[0]} | | | | | |`);
      continue;
    }
    const parts = r.stats ? `${s(r.stats.recordMs + r.stats.serializeMs)} / ${s(r.stats.sessionCreateMs)} / ${s(r.stats.firstRunMs)}` : '—';
    const speedup = base && r.warmMs ? `${(base / r.warmMs).toFixed(2)}×` : '—';
    const cached = r.cachedFirstCallMs === undefined ? '—' : `${s(r.cachedFirstCallMs)} (hit: ${r.cachedStats?.cacheHit}, session ${s(r.cachedStats?.sessionCreateMs)})`;
    console.log(`| ${r.runtime} | ${r.policy} | ${s(r.firstCallMs)} | ${parts} | ${s(r.warmMs)}${r.finite === false ? ' NON-FINITE' : ''} | ${s(r.warmCpuMs)} | ${speedup} | ${cached} |`);
  }
  const fused = rows.find((r) => r.stats && Object.keys(r.stats.fusedOps).length)?.stats?.fusedOps;
  if (fused) console.log(`\njit fused kernels: ${Object.entries(fused).map(([op, n]) => `${op} ×${n}`).join(', ')}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});

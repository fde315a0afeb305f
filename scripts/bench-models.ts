/**
 * Per-step UNet and VAE-decoder times at Stable Diffusion 1.5's real sizes, with random weights, on each
 * available tfjs backend (one child process per backend: tfjs picks its backend once per process).
 *
 *   node dist/scripts/bench-models.js [--model <folder>] [--backends wasm,cpu] [--runs 2] [--skip-vae]
 *
 * Without --model it creates `model create-random --preset sd15` under ~/.cache/sdfarm/sd15-random.
 * A benchmark, not a test: it prints figures and asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadWeights, readComponentConfig } from '../libs/diffusion/src/loader';
import type { Component, HostInput } from '../libs/diffusion/src/models/component';
import { createUNet, timestepProjection } from '../libs/diffusion/src/models/unet';
import { createVaeDecoder, parseVaeConfig } from '../libs/diffusion/src/models/vae';
import { TfjsRuntime } from '../libs/diffusion/src/runtime/tfjs/tfjs-runtime';
import { TorchGenerator } from '../libs/diffusion/src/random/torch-generator';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    backends: { type: 'string', default: 'wasm,cpu' },
    runs: { type: 'string', default: '2' },
    'skip-vae': { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

const randn = (shape: number[], seed: number) => new TorchGenerator(seed).randn(shape);

async function time(component: Component, weightsDir: string, inputs: Record<string, HostInput>, runs: number, skip: string[] = []) {
  const rt = await TfjsRuntime.create();
  const loadStart = performance.now();
  const weights = await loadWeights(weightsDir, component.params, { skipPrefixes: skip });
  const loadMs = performance.now() - loadStart;
  const exec = await rt.prepare(component, weights, { precision: 'float32', compile: 'eager' });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await exec.run(inputs);
    times.push(performance.now() - t);
  }
  exec.dispose();
  return { backend: rt.info.backend, loadMs, firstMs: times[0]!, warmMs: times.slice(1) };
}

async function child(model: string, runs: number, skipVae: boolean): Promise<void> {
  const unetConfig = (await readComponentConfig(model, 'unet')) as Record<string, unknown>;
  const unet = createUNet(unetConfig);
  const [h, w] = [64, 64];
  const unetInputs: Record<string, HostInput> = {
    sample: { data: randn([2, 4, h, w], 1), shape: [2, 4, h, w], layout: 'image' },
    time_proj: timestepProjection([500, 500], unet.config),
    encoder_hidden_states: { data: randn([2, 77, 768], 2), shape: [2, 77, 768], layout: 'plain' },
  };
  const u = await time(unet, join(model, 'unet'), unetInputs, runs);
  console.log(JSON.stringify({ component: 'unet (batch 2, 64x64 latents: one guided step at 512x512)', ...u }));
  if (skipVae) return;
  const vae = createVaeDecoder(parseVaeConfig((await readComponentConfig(model, 'vae')) as Record<string, unknown>));
  const vaeInputs: Record<string, HostInput> = { latent: { data: randn([1, 4, h, w], 3), shape: [1, 4, h, w], layout: 'image' } };
  const v = await time(vae, join(model, 'vae'), vaeInputs, runs, ['encoder.', 'quant_conv.']);
  console.log(JSON.stringify({ component: 'vae decoder (1 image, 512x512)', ...v }));
}

async function main(): Promise<void> {
  const runs = Number(values.runs);
  if (values.child) return child(values.child, runs, values['skip-vae']!);
  let model = values.model;
  if (!model) {
    model = join(homedir(), '.cache', 'sdfarm', 'sd15-random');
    if (!existsSync(join(model, 'model_index.json'))) {
      console.log(`creating a random SD 1.5 model in ${model} …`);
      execFileSync(process.execPath, [join(__dirname, '..', 'bin', 'sdfarm.js'), 'model', 'create-random', '--preset', 'sd15', '--out', model, '--overwrite'], { stdio: 'inherit' });
    }
  }
  for (const backend of values.backends!.split(',')) {
    console.log(`\n== tfjs backend ${backend}`);
    try {
      const out = execFileSync(process.execPath, ['--max-old-space-size=16384', __filename, '--child', model, '--runs', String(runs), ...(values['skip-vae'] ? ['--skip-vae'] : [])], {
        env: { ...process.env, SDFARM_TFJS_BACKEND: backend },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      for (const line of out.trim().split('\n')) {
        const r = JSON.parse(line) as { component: string; backend: string; loadMs: number; firstMs: number; warmMs: number[] };
        const warm = r.warmMs.length ? `${(r.warmMs.reduce((a, b) => a + b, 0) / r.warmMs.length / 1000).toFixed(2)} s` : 'n/a';
        console.log(`${r.component} on tfjs/${r.backend}: load ${(r.loadMs / 1000).toFixed(1)} s, first call ${(r.firstMs / 1000).toFixed(2)} s, warm ${warm}`);
      }
    } catch (e) {
      console.log(`tfjs/${backend}: failed: ${(e as Error).message.split('\n').slice(-3).join(' ')}`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

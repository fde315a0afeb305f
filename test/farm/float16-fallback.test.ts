import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { loadPipeline } from '../../libs/diffusion/src/pipeline/load-pipeline';
import { createRuntime } from '../../libs/diffusion/src/runtime/create-runtime';
import type { Policy } from '../../libs/diffusion/src/runtime/runtime';
import { readSafetensors } from '../../libs/diffusion/src/weights/safetensors';
import { writeSafetensors } from '../../libs/diffusion/src/weights/safetensors-writer';
import { fixtureModel } from '../support/paths';
import { startTestFarm } from './support/farm';

/**
 * The bundled tiny model with its UNet input convolution scaled by 1e6: activations far beyond float16's
 * 65504 (inf, then NaN in the norms) while float32 carries them, and the group norms that follow make
 * the rest of the network indifferent to the scale. A model that breaks under mixed precision only.
 */
async function float16OverflowModel(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sdfarm-overflow-'));
  cpSync(fixtureModel('tiny-sd15'), dir, { recursive: true });
  const file = join(dir, 'unet', 'diffusion_pytorch_model.safetensors');
  const tensors = await readSafetensors(file);
  const scaled = [...tensors].map(([name, t]) => ({
    name,
    dtype: 'F32' as const,
    shape: t.shape,
    data: name.startsWith('conv_in.') ? t.data.map((v) => v * 1e6) : t.data,
  }));
  await writeSafetensors(file, scaled);
  return dir;
}

const request = { prompts: ['a pink car'], steps: 2, width: 64, height: 64, seed: 3, scheduler: 'DDIMScheduler', guidanceScale: 7.5 };

test('a float16 render that comes out NaN is rendered again in float32, and the job says so', async (t) => {
  const model = await float16OverflowModel();
  t.after(() => rmSync(model, { recursive: true, force: true }));

  await t.test('the model really breaks in mixed_float16 only (else this test would prove nothing)', async () => {
    const runtime = await createRuntime('onnxruntime', { cpuFloat16: 'emulate' });
    const render = async (policy: Policy) => {
      const pipeline = await loadPipeline(model, { runtime, policy });
      try {
        return await pipeline.render({ ...request, batchSize: 1 });
      } finally {
        pipeline.dispose();
      }
    };
    const half = await render({ precision: 'mixed_float16', compile: 'eager' });
    assert.ok(half.imageTensor.data.some(Number.isNaN), 'mixed_float16 output has NaN');
    const full = await render({ precision: 'float32', compile: 'eager' });
    assert.ok(full.imageTensor.data.every(Number.isFinite), 'float32 output is finite');
  });

  await t.test('through the farm: completed, with the fallback named in the chunk, and a real image', async () => {
    const { client } = await startTestFarm(t, {
      workers: 1,
      env: { WORKER_RUNTIME: 'onnxruntime', WORKER_CPU_FLOAT16: 'emulate', SDFARM_MODELS: `overflow=${model}` },
    });
    const accepted = await client.submit({ ...request, model: 'overflow', precision: 'mixed_float16', compile: 'eager' });
    const end = await client.follow(accepted.id, () => undefined);
    assert.equal(end.status, 'completed');
    const job = await client.job(accepted.id);
    assert.match(job.chunks[0]?.fallback ?? '', /NaN or black in mixed_float16: rendered again in float32/);
    const png = Buffer.from(await (await fetch(job.images[0]!.url)).arrayBuffer());
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.ok(data.some((v) => v > 0), 'the stored image is not black');
  });
});

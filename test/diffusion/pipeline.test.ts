import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { loadPipeline } from '../../libs/diffusion/src/pipeline/load-pipeline';
import type { Pipeline } from '../../libs/diffusion/src/pipeline/types';
import { createRuntime } from '../../libs/diffusion/src/runtime/create-runtime';
import type { Policy, RuntimeName } from '../../libs/diffusion/src/runtime/runtime';
import { TfjsRuntime } from '../../libs/diffusion/src/runtime/tfjs/tfjs-runtime';
import { readSafetensors } from '../../libs/diffusion/src/weights/safetensors';
import { readExpectedTensors, type ExpectedTensors } from '../support/fixture-tensors';
import { fixtureExpected, fixtureModel, repoRoot, type FixtureName } from '../support/paths';
import { makeTempDir } from '../support/temp-dir';
import { assertMaxAbsErrorAtMost, assertWithinBar, maxAbsDiff } from '../support/tensors';

const run = promisify(execFile);

interface PipelineCase {
  prompts: string[];
  negative_prompt: string;
  guidance_scale: number;
  num_inference_steps: number;
  scheduler: string;
  height: number;
  width: number;
  timesteps: number[];
}

async function expectedPng(name: FixtureName, i: number): Promise<Buffer> {
  const { data, info } = await sharp(join(fixtureExpected(name), `pipeline_${i}.png`)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  return data;
}

const RUNS: ReadonlyArray<{ runtime: RuntimeName; policy: Policy }> = [
  { runtime: 'tfjs', policy: { precision: 'float32', compile: 'eager' } },
  { runtime: 'onnxruntime', policy: { precision: 'float32', compile: 'eager' } },
  { runtime: 'onnxruntime', policy: { precision: 'float32', compile: 'jit' } },
];

for (const name of ['tiny-sd15', 'tiny-sd21v'] as const) {
  for (const { runtime, policy } of RUNS) {
    describe(`text-to-image pipeline against diffusers: ${name} on ${runtime} ${policy.precision}/${policy.compile}`, () => {
      let pipeline: Pipeline;
      let spec: PipelineCase;
      let tensors: ExpectedTensors;

      before(async () => {
        spec = JSON.parse(await readFile(join(fixtureExpected(name), 'pipeline.json'), 'utf8')) as PipelineCase;
        tensors = await readExpectedTensors(name);
        pipeline = await loadPipeline(fixtureModel(name), { runtime: await createRuntime(runtime), policy });
      });
      after(() => pipeline?.dispose());

      it('reproduces the final latents, the float image (±1e-3) and every PNG (±1 per channel)', async () => {
        const latents = (await readSafetensors(join(fixtureExpected(name), 'latents.safetensors'))).get('latents')!;
        const steps: number[] = [];
        const out = await pipeline.render(
          {
            prompts: spec.prompts,
            negativePrompt: spec.negative_prompt,
            guidanceScale: spec.guidance_scale,
            steps: spec.num_inference_steps,
            width: spec.width,
            height: spec.height,
            batchSize: 1,
            latents,
          },
          { onStep: (s) => steps.push(s.timestep) },
        );
        assert.deepEqual(steps, spec.timesteps, 'the scheduler visits the reference timesteps');
        assert.equal(out.timings.stepsMs.length, spec.timesteps.length);
        // The README's bar for model outputs, applied to the latents after the last step.
        assertWithinBar(out.finalLatents, tensors.get('pipeline.final_latents'), 'final latents');
        assertMaxAbsErrorAtMost(out.imageTensor, tensors.get('pipeline.image'), 'float image', 1e-3);
        for (const [i, image] of out.images.entries()) {
          assert.ok(maxAbsDiff(image.rgb, await expectedPng(name, i)) <= 1, `image ${i} differs by more than 1 per channel`);
        }
      });

      it('`sdfarm render --latents` writes the same PNGs and a result.json with every step timed', async () => {
        const temp = makeTempDir('render');
        const out = temp.dir;
        try {
          const args = [join(repoRoot(), 'bin', 'sdfarm.js'), 'render', '--model', fixtureModel(name),
            ...spec.prompts.flatMap((p) => ['--prompt', p]), '--negative-prompt', spec.negative_prompt,
            '--guidance', String(spec.guidance_scale), '--steps', String(spec.num_inference_steps),
            '--latents', join(fixtureExpected(name), 'latents.safetensors'), '--out', out,
            '--runtime', runtime, '--precision', policy.precision, '--compile', policy.compile];
          await run(process.execPath, args, { cwd: repoRoot() });
          for (let i = 0; i < spec.prompts.length; i++) {
            const { data } = await sharp(join(out, `${i}.png`)).raw().toBuffer({ resolveWithObject: true });
            const { comments } = await sharp(join(out, `${i}.png`)).metadata();
            assert.match(comments?.find((c) => c.keyword === 'parameters')?.text ?? '', new RegExp(`^${spec.prompts[i]}(\\nNegative prompt: [^\\n]*)?\\nSteps: ${spec.num_inference_steps}, Sampler: `), `${i}.png carries its parameters`);
            assert.ok(maxAbsDiff(data, await expectedPng(name, i)) <= 1, `${i}.png differs by more than 1 per channel`);
          }
          const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8'));
          assert.equal(result.timings.stepsMs.length, spec.timesteps.length);
          assert.equal(result.runtime.runtime, runtime);
          assert.deepEqual(result.policy, policy);
          assert.equal(result.width, spec.width);
          assert.equal(result.height, spec.height);
        } finally {
          temp.remove();
        }
      });
    });
  }
}

describe('render input checks', () => {
  it('refuses width 513 naming the field, before any compute', async () => {
    const pipeline = await loadPipeline(fixtureModel('tiny-sd15'), { runtime: await TfjsRuntime.create(), policy: { precision: 'float32', compile: 'eager' } });
    try {
      await assert.rejects(pipeline.render({ prompts: ['x'], steps: 2, guidanceScale: 7.5, width: 513, height: 128, batchSize: 1, seed: 1 }), /width: a positive multiple of 8, got 513/);
      await assert.rejects(pipeline.render({ prompts: [], steps: 2, guidanceScale: 7.5, width: 128, height: 128, batchSize: 1 }), /prompts/);
      await assert.rejects(pipeline.render({ prompts: ['x'], steps: 0, guidanceScale: 7.5, width: 128, height: 128, batchSize: 1 }), /steps: an integer from 1 to 200/);
    } finally {
      pipeline.dispose();
    }
  });

  it('refuses policies tfjs cannot honour instead of ignoring them', async () => {
    await assert.rejects(
      loadPipeline(fixtureModel('tiny-sd15'), { runtime: await TfjsRuntime.create(), policy: { precision: 'mixed_float16', compile: 'eager' } }),
      /float16|mixed_float16/,
    );
  });
});

import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { softwareVersions } from '../../../../libs/contracts/src/versions';
import { loadPipeline } from '../../../../libs/diffusion/src/pipeline/load-pipeline';
import { createRuntime, RUNTIMES } from '../../../../libs/diffusion/src/runtime/create-runtime';
import { COMPILE_POLICIES, PRECISIONS } from '../../../../libs/diffusion/src/runtime/runtime';
import type { CompilePolicy, Precision, RuntimeName } from '../../../../libs/diffusion/src/runtime/runtime';
import { readSafetensors } from '../../../../libs/diffusion/src/weights/safetensors';
import { encodePng } from '../../../../libs/imaging/src/encode-png';
import { parametersText } from '../../../../libs/imaging/src/parameters-text';
import type { HostTensor } from '../../../../libs/diffusion/src/tensor';
import { intArg, numArg } from '../args';
import { createProgress, stepDetail } from '../progress';

interface RenderCliOptions {
  model: string;
  prompt: string[];
  negativePrompt: string;
  steps: number;
  guidance: number;
  scheduler?: string;
  width: number;
  height: number;
  seed?: number;
  latents?: string;
  batchSize: number;
  precision: Precision;
  compile: CompilePolicy;
  runtime: RuntimeName;
  provider?: string;
  out: string;
}

async function readLatents(path: string): Promise<HostTensor> {
  const tensors = await readSafetensors(path);
  if (tensors.size !== 1) throw new Error(`--latents: ${path} must hold exactly one tensor, it holds ${tensors.size}`);
  const [tensor] = tensors.values();
  if (tensor!.shape.length !== 4) throw new Error(`--latents: expected [batch, 4, h/8, w/8], got [${tensor!.shape.join(', ')}]`);
  return tensor!;
}

export async function render(o: RenderCliOptions): Promise<void> {
  const latents = o.latents ? await readLatents(o.latents) : undefined;
  const runtime = await createRuntime(o.runtime, { provider: o.provider });
  const policy = { precision: o.precision, compile: o.compile };
  const pipeline = await loadPipeline(resolve(o.model), { runtime, policy });
  try {
    const images = o.prompt.length * o.batchSize;
    const progress = createProgress('denoising');
    const result = await pipeline.render(
      {
        prompts: o.prompt,
        negativePrompt: o.negativePrompt,
        steps: o.steps,
        guidanceScale: o.guidance,
        width: latents ? latents.shape[3]! * 8 : o.width,
        height: latents ? latents.shape[2]! * 8 : o.height,
        batchSize: o.batchSize,
        seed: o.seed,
        latents,
        scheduler: o.scheduler,
      },
      { onStep: (s) => progress.update(s.step + 1, s.steps, stepDetail(s.step + 1, s.steps, s.ms)) },
    );
    progress.stop();
    await mkdir(o.out, { recursive: true });
    const files: string[] = [];
    const version = softwareVersions().sdfarm;
    for (const [i, image] of result.images.entries()) {
      const file = join(o.out, `${i}.png`);
      const parameters = parametersText({
        prompt: image.prompt,
        negativePrompt: o.negativePrompt,
        steps: o.steps,
        scheduler: result.scheduler,
        guidanceScale: o.guidance,
        seed: image.seed,
        width: image.width,
        height: image.height,
        model: basename(resolve(o.model)),
        policy: result.policy,
        runtime: result.runtime,
        version: `sdfarm ${version}`,
      });
      await writeFile(file, await encodePng(image.rgb, image.width, image.height, parameters));
      files.push(file);
    }
    const summary = {
      model: resolve(o.model),
      prompts: o.prompt,
      negativePrompt: o.negativePrompt,
      steps: o.steps,
      guidanceScale: o.guidance,
      scheduler: result.scheduler,
      width: result.images[0]!.width,
      height: result.images[0]!.height,
      batchSize: o.batchSize,
      images,
      seeds: result.images.map((i) => i.seed ?? null),
      latents: o.latents ?? null,
      policy: result.policy,
      runtime: result.runtime,
      timings: {
        loadMs: pipeline.loadMs,
        prepareMs: pipeline.prepareMs,
        compileMs: result.timings.compileMs,
        textEncodeMs: result.timings.textEncodeMs,
        stepsMs: result.timings.stepsMs,
        decodeMs: result.timings.decodeMs,
        renderMs: result.timings.totalMs,
        totalMs: pipeline.loadMs + pipeline.prepareMs + result.timings.totalMs,
      },
    };
    await writeFile(join(o.out, 'result.json'), JSON.stringify(summary, null, 2) + '\n');
    const perStep = result.timings.stepsMs.reduce((a, b) => a + b, 0) / Math.max(1, result.timings.stepsMs.length);
    console.log(`${files.length} image(s) in ${resolve(o.out)} (${result.runtime.runtime}/${result.runtime.backend}, ` +
      `${policy.precision}/${policy.compile}): load ${fmt(pipeline.loadMs)}, compile ${fmt(result.timings.compileMs)}, text ${fmt(result.timings.textEncodeMs)}, ` +
      `${result.timings.stepsMs.length} steps at ${fmt(perStep)}/step, decode ${fmt(result.timings.decodeMs)}`);
  } finally {
    pipeline.dispose();
  }
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

export function registerRenderCommand(program: Command): void {
  program
    .command('render')
    .description('Render prompts with a diffusers-layout Stable Diffusion folder, in this process')
    .requiredOption('--model <folder>', 'diffusers-layout model folder')
    .requiredOption('--prompt <text>', 'a prompt (repeat for several)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--negative-prompt <text>', 'negative prompt', '')
    .option('--steps <n>', 'denoising steps', intArg('--steps'), 25)
    .option('--guidance <g>', 'classifier-free guidance scale', numArg('--guidance'), 7.5)
    .option('--scheduler <ClassName>', 'scheduler class overriding the model\'s (e.g. EulerDiscreteScheduler)')
    .option('--width <px>', 'width, a multiple of 8', intArg('--width'), 512)
    .option('--height <px>', 'height, a multiple of 8', intArg('--height'), 512)
    .option('--seed <n>', 'seed of image 0; image i uses seed + i', intArg('--seed'))
    .option('--latents <file.safetensors>', 'initial latents [batch, 4, h/8, w/8] (width/height follow from it)')
    .option('--batch-size <n>', 'images per prompt', intArg('--batch-size'), 1)
    .addOption(new Option('--precision <policy>', 'precision policy').choices(PRECISIONS).default('float32'))
    .addOption(new Option('--compile <policy>', 'compile policy').choices(COMPILE_POLICIES).default('eager'))
    .addOption(new Option('--runtime <name>', 'model runtime').choices(RUNTIMES).default('tfjs'))
    .option('--provider <name>', 'ONNX Runtime execution provider (cpu, webgpu, cuda, tensorrt)')
    .requiredOption('--out <dir>', 'output folder for <i>.png and result.json')
    .action(async (o: RenderCliOptions) => render(o));
}

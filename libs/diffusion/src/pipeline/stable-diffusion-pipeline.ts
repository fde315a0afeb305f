import { clipTextInputs } from '../models/clip-text';
import type { HostInput } from '../models/component';
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import { createScheduler } from '../schedulers';
import { TorchGenerator } from '../random/torch-generator';
import { timestepProjection, type TimestepProjectionConfig } from '../models/unet';
import type { Executor, Policy, RuntimeInfo } from '../runtime/runtime';
import type { HostTensor } from '../tensor';
import { applyGuidance, usesGuidance } from './guidance';
import { degenerateImages, toRgbBytes, toUnitRange } from './image';
import type { Pipeline, RenderCallbacks, RenderOptions, RenderOutput, RenderedImage } from './types';
import { validateRenderOptions } from './validate';

export interface PipelineParts {
  readonly modelPath: string;
  readonly policy: Policy;
  readonly runtime: RuntimeInfo;
  readonly loadMs: number;
  readonly prepareMs: number;
  readonly tokenizer: ClipTokenizer;
  readonly textEncoder: Executor;
  readonly unet: Executor;
  readonly vaeDecoder: Executor;
  readonly timeProjection: TimestepProjectionConfig;
  readonly schedulerConfig: Record<string, unknown>;
  readonly latentChannels: number;
  /** Image pixels per latent pixel along each side. */
  readonly vaeScaleFactor: number;
  readonly scalingFactor: number;
}

const now = () => performance.now();

function abortIfAsked(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('render cancelled', 'AbortError');
}

/** diffusers' StableDiffusionPipeline.__call__ (text-to-image), on any Runtime. */
export class StableDiffusionPipeline implements Pipeline {
  readonly modelPath: string;
  readonly policy: Policy;
  readonly runtime: RuntimeInfo;
  readonly loadMs: number;
  readonly prepareMs: number;

  constructor(private readonly parts: PipelineParts) {
    ({ modelPath: this.modelPath, policy: this.policy, runtime: this.runtime, loadMs: this.loadMs, prepareMs: this.prepareMs } = parts);
  }

  async render(options: RenderOptions, callbacks: RenderCallbacks = {}): Promise<RenderOutput> {
    const started = now();
    const { signal } = callbacks;
    validateRenderOptions(options, this.parts.latentChannels, this.parts.vaeScaleFactor);
    const prompts = options.prompts.flatMap((p) => Array<string>(options.batchSize).fill(p));
    const images = prompts.length;
    const guided = usesGuidance(options.guidanceScale);

    const compiled = this.compileClock();
    abortIfAsked(signal);
    let t = now();
    const embeddings = await this.encodeText(guided ? [...prompts.map(() => options.negativePrompt ?? ''), ...prompts] : prompts);
    const textEncodeMs = now() - t - compiled.lap();
    callbacks.onPhase?.('text_encode', textEncodeMs);

    const scheduler = createScheduler(this.parts.schedulerConfig, options.scheduler);
    scheduler.setTimesteps(options.steps);
    const { latents: initial, seeds, generators } = this.initialLatents(options, images);
    const [, channels, h, w] = initial.shape as [number, number, number, number];
    // Ancestral schedulers draw fresh noise every step, from each image's own generator (diffusers with a generator list).
    const stepNoise = () => concatAll(generators.map((g) => g.randn([1, channels, h, w])));
    let latents: Float32Array = new Float32Array(initial.data.length);
    for (let i = 0; i < latents.length; i++) latents[i] = initial.data[i]! * scheduler.initNoiseSigma;

    const stepsMs: number[] = [];
    const timesteps = scheduler.timesteps;
    for (let i = 0; i < timesteps.length; i++) {
      abortIfAsked(signal);
      t = now();
      const timestep = timesteps[i]!;
      const scaled = scheduler.scaleModelInput(latents, timestep);
      const unetBatch = guided ? 2 * images : images;
      const sample = guided ? concat(scaled, scaled) : scaled;
      const out = await this.parts.unet.run({
        sample: { data: sample, shape: [unetBatch, channels, h, w], layout: 'image' },
        time_proj: timestepProjection(Array<number>(unetBatch).fill(timestep), this.parts.timeProjection),
        encoder_hidden_states: embeddings,
      });
      const noisePred = guided ? applyGuidance(out.out!.data, images, options.guidanceScale) : out.out!.data;
      latents = scheduler.step(noisePred, timestep, latents, stepNoise);
      const ms = now() - t - compiled.lap();
      stepsMs.push(ms);
      callbacks.onStep?.({ step: i, steps: timesteps.length, timestep, ms });
    }
    callbacks.onPhase?.('denoise', stepsMs.reduce((a, b) => a + b, 0));

    abortIfAsked(signal);
    t = now();
    const imageTensor = await this.decode({ data: latents, shape: [images, channels, h, w] });
    const decodeMs = now() - t - compiled.lap();
    callbacks.onPhase?.('decode', decodeMs);

    const [, , height, width] = imageTensor.shape as [number, number, number, number];
    const rendered: RenderedImage[] = prompts.map((prompt, i) => ({
      rgb: toRgbBytes(imageTensor, i), width, height, prompt, seed: seeds?.[i],
    }));
    return {
      images: rendered,
      imageTensor,
      finalLatents: { data: latents, shape: [images, channels, h, w] },
      degenerateImages: degenerateImages(imageTensor),
      timings: { compileMs: compiled.total(), textEncodeMs, stepsMs, decodeMs, totalMs: now() - started },
      runtime: this.runtime,
      policy: this.policy,
      scheduler: scheduler.name,
    };
  }

  dispose(): void {
    this.parts.textEncoder.dispose();
    this.parts.unet.dispose();
    this.parts.vaeDecoder.dispose();
  }

  /** Compilation time the executors report, read as laps so each phase can leave it out. */
  private compileClock(): { lap(): number; total(): number } {
    const executors = [this.parts.textEncoder, this.parts.unet, this.parts.vaeDecoder];
    const read = () => executors.reduce((sum, x) => sum + x.compileMs, 0);
    const start = read();
    let last = start;
    return {
      lap: () => {
        const current = read();
        const lap = current - last;
        last = current;
        return lap;
      },
      total: () => read() - start,
    };
  }

  private async encodeText(texts: readonly string[]): Promise<HostInput> {
    const ids = new Int32Array(texts.length * 77);
    texts.forEach((text, i) => ids.set(this.parts.tokenizer.encode(text), i * 77));
    const out = await this.parts.textEncoder.run(clipTextInputs(ids, texts.length, 77));
    const hidden = out.last_hidden_state!;
    return { data: hidden.data, shape: hidden.shape, layout: 'plain' };
  }

  private initialLatents(options: RenderOptions, images: number): { latents: HostTensor; seeds?: number[]; generators: TorchGenerator[] } {
    const base = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    const first = options.firstImageIndex ?? 0;
    const seeds = Array.from({ length: images }, (_, i) => base + first + i);
    const generators = seeds.map((seed) => new TorchGenerator(seed));
    if (options.latents) return { latents: options.latents, generators };
    const f = this.parts.vaeScaleFactor;
    const shape = [1, this.parts.latentChannels, options.height / f, options.width / f];
    const latents = concatAll(generators.map((g) => g.randn(shape)));
    return { latents: { data: latents, shape: [images, ...shape.slice(1)] }, seeds, generators };
  }

  /** One image at a time: the VAE at full size is the memory peak, and one shape serves every batch. */
  private async decode(latents: HostTensor): Promise<HostTensor> {
    const [n, c, h, w] = latents.shape as [number, number, number, number];
    const per = c * h * w;
    const parts: HostTensor[] = [];
    for (let i = 0; i < n; i++) {
      const data = new Float32Array(per);
      for (let j = 0; j < per; j++) data[j] = latents.data[i * per + j]! / this.parts.scalingFactor;
      const out = await this.parts.vaeDecoder.run({ latent: { data, shape: [1, c, h, w], layout: 'image' } });
      parts.push(toUnitRange(out.image!));
    }
    const [, oc, oh, ow] = parts[0]!.shape as [number, number, number, number];
    const all = new Float32Array(n * oc * oh * ow);
    parts.forEach((p, i) => all.set(p.data, i * p.data.length));
    return { data: all, shape: [n, oc, oh, ow] };
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  return concatAll([a, b]);
}

function concatAll(parts: readonly Float32Array[]): Float32Array<ArrayBuffer> {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

import { join } from 'node:path';
import { loadWeights, readComponentConfig, readModelIndex } from '../loader';
import { textToImageComponents, UNUSED_FOR_TEXT_TO_IMAGE, type WeightedComponent } from '../models/sd-components';
import type { Executor, Policy, Runtime } from '../runtime/runtime';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import { StableDiffusionPipeline } from './stable-diffusion-pipeline';
import type { Pipeline } from './types';

export interface PipelineLoadOptions {
  readonly runtime: Runtime;
  readonly policy: Policy;
  /** Load `*.fp16.safetensors` weights (diffusers' `variant="fp16"`). */
  readonly variant?: 'fp16';
}

const FOLDER_OF = { text_encoder: 'text_encoder', unet: 'unet', vae_decoder: 'vae' } as const satisfies Record<string, WeightedComponent>;

/** Reads a diffusers-layout Stable Diffusion folder and prepares its networks on a runtime. */
export async function loadPipeline(modelPath: string, options: PipelineLoadOptions): Promise<Pipeline> {
  const refused = options.runtime.unsupportedReason(options.policy);
  if (refused) throw new Error(refused);

  const started = performance.now();
  await readModelIndex(modelPath);
  const read = (c: string) => readComponentConfig(modelPath, c) as Promise<Record<string, unknown>>;
  const configs = { text_encoder: await read('text_encoder'), unet: await read('unet'), vae: await read('vae') };
  const schedulerConfig = await read('scheduler');
  const tokenizer = await ClipTokenizer.fromFolder(join(modelPath, 'tokenizer'));
  const components = textToImageComponents(configs);
  const weights = new Map<keyof typeof components, Awaited<ReturnType<typeof loadWeights>>>();
  for (const [name, component] of Object.entries(components) as Array<[keyof typeof components, (typeof components)[keyof typeof components]]>) {
    const folder = FOLDER_OF[name];
    weights.set(name, await loadWeights(join(modelPath, folder), component.params, {
      variant: options.variant,
      skipPrefixes: UNUSED_FOR_TEXT_TO_IMAGE[folder],
    }));
  }
  const loadMs = performance.now() - started;

  const prepared = performance.now();
  const executors: Partial<Record<keyof typeof components, Executor>> = {};
  try {
    for (const name of Object.keys(components) as Array<keyof typeof components>) {
      executors[name] = await options.runtime.prepare(components[name], weights.get(name)!, options.policy);
    }
  } catch (e) {
    Object.values(executors).forEach((x) => x.dispose());
    throw e;
  }
  const prepareMs = performance.now() - prepared;

  return new StableDiffusionPipeline({
    modelPath,
    policy: options.policy,
    runtime: options.runtime.info,
    loadMs,
    prepareMs,
    tokenizer,
    textEncoder: executors.text_encoder!,
    unet: executors.unet!,
    vaeDecoder: executors.vae_decoder!,
    timeProjection: components.unet.config,
    schedulerConfig,
    latentChannels: Number(configs.vae.latent_channels ?? 4),
    // diffusers' vae_scale_factor: each VAE block but the last halves the image (8 for every SD checkpoint).
    vaeScaleFactor: 2 ** (((configs.vae.block_out_channels as unknown[] | undefined)?.length ?? 4) - 1),
    scalingFactor: Number(configs.vae.scaling_factor ?? 0.18215),
  });
}

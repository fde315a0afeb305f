import { join } from 'node:path';
import { readComponentConfig, readModelIndex, loadWeights } from '../loader';
import { createClipTextEncoder } from '../models/clip-text';
import type { Component } from '../models/component';
import { createUNet } from '../models/unet';
import { createVaeDecoder } from '../models/vae';
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

/** Reads a diffusers-layout Stable Diffusion folder and prepares its networks on a runtime. */
export async function loadPipeline(modelPath: string, options: PipelineLoadOptions): Promise<Pipeline> {
  const refused = options.runtime.unsupportedReason(options.policy);
  if (refused) throw new Error(refused);

  const started = performance.now();
  await readModelIndex(modelPath);
  const [textConfig, unetConfig, vaeConfig, schedulerConfig] = await Promise.all(
    ['text_encoder', 'unet', 'vae', 'scheduler'].map((c) => readComponentConfig(modelPath, c)),
  ) as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
  const tokenizer = await ClipTokenizer.fromFolder(join(modelPath, 'tokenizer'));
  const parts: Array<[Component, string]> = [
    [createClipTextEncoder(textConfig), 'text_encoder'],
    [createUNet(unetConfig), 'unet'],
    [createVaeDecoder(vaeConfig), 'vae'],
  ];
  const weights = [];
  for (const [component, folder] of parts) {
    weights.push(await loadWeights(join(modelPath, folder), component.params, { variant: options.variant }));
  }
  const loadMs = performance.now() - started;

  const prepared = performance.now();
  const executors: Executor[] = [];
  try {
    for (const [i, [component]] of parts.entries()) executors.push(await options.runtime.prepare(component, weights[i]!, options.policy));
  } catch (e) {
    executors.forEach((x) => x.dispose());
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
    textEncoder: executors[0]!,
    unet: executors[1]!,
    vaeDecoder: executors[2]!,
    unetConfig,
    schedulerConfig,
    latentChannels: Number(vaeConfig.latent_channels ?? 4),
    scalingFactor: Number(vaeConfig.scaling_factor ?? 0.18215),
  });
}

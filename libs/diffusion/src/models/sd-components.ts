import type { ParamSpec } from '../ops/ops';
import { createClipTextEncoder } from './clip-text';
import type { Component } from './component';
import { createUNet, type UNetComponent } from './unet';
import { createVaeDecoder, createVaeEncoder, parseVaeConfig } from './vae';

export type WeightedComponent = 'text_encoder' | 'unet' | 'vae';

/** The networks a text-to-image run needs, built from their folders' config.json. */
export interface TextToImageComponents {
  readonly text_encoder: Component;
  readonly unet: UNetComponent;
  readonly vae_decoder: Component;
}

export function textToImageComponents(configs: Readonly<Record<WeightedComponent, Record<string, unknown>>>): TextToImageComponents {
  return {
    text_encoder: createClipTextEncoder(configs.text_encoder),
    unet: createUNet(configs.unet),
    vae_decoder: createVaeDecoder(parseVaeConfig(configs.vae)),
  };
}

/** Every weight a component folder holds (the VAE folder holds encoder and decoder). */
export function componentParams(component: WeightedComponent, config: Record<string, unknown>): ParamSpec[] {
  switch (component) {
    case 'text_encoder':
      return [...createClipTextEncoder(config).params];
    case 'unet':
      return [...createUNet(config).params];
    case 'vae': {
      const vae = parseVaeConfig(config);
      return [...createVaeEncoder(vae).params, ...createVaeDecoder(vae).params];
    }
  }
}

/** Weights of a component folder that a text-to-image run does not need. */
export const UNUSED_FOR_TEXT_TO_IMAGE: Readonly<Partial<Record<WeightedComponent, readonly string[]>>> = {
  vae: ['encoder.', 'quant_conv.'],
};

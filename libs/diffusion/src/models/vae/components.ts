import type { Ops } from '../../ops/ops';
import type { Component } from '../component';
import { Conv2d, ParamRegistry } from '../nn';
import type { VaeConfig } from './config';
import { VaeDecoder } from './decoder';
import { VaeEncoder } from './encoder';
import { diagonalGaussian } from './posterior';

function imageInput<T>(o: Ops<T>, component: string, inputs: Readonly<Record<string, T>>, name: string, channels: number): T {
  const x = inputs[name];
  if (x === undefined) throw new Error(`${component}: input ${name} is missing`);
  const shape = o.shape(x);
  if (shape.length !== 4 || shape[1] !== channels) {
    throw new Error(`${component}: input ${name} must be [B, ${channels}, H, W], got [${shape.join(', ')}]`);
  }
  return x;
}

/**
 * AutoencoderKL.decode: `latent` [B, latent_channels, h, w] (already divided by the scaling factor)
 * → `image` [B, out_channels, h·2^(n-1), w·2^(n-1)], the raw decoder output (about [-1, 1]).
 */
export function createVaeDecoder(config: VaeConfig): Component {
  const reg = new ParamRegistry();
  const postQuantConv = new Conv2d(reg, 'post_quant_conv', config.latentChannels, config.latentChannels, { kernel: 1 });
  const decoder = new VaeDecoder(reg, 'decoder', config);
  const name = 'vae_decoder';
  return {
    name,
    params: reg.specs,
    inputNames: ['latent'],
    outputNames: ['image'],
    forward<T>(o: Ops<T>, inputs: Readonly<Record<string, T>>): Record<string, T> {
      const latent = imageInput(o, name, inputs, 'latent', config.latentChannels);
      return { image: decoder.forward(o, postQuantConv.forward(o, latent)) };
    },
  };
}

/**
 * AutoencoderKL.encode: `image` [B, in_channels, H, W] → the posterior's `mean` and `logvar`
 * [B, latent_channels, H/2^(n-1), W/2^(n-1)], logvar clamped to [-30, 20].
 */
export function createVaeEncoder(config: VaeConfig): Component {
  const reg = new ParamRegistry();
  const encoder = new VaeEncoder(reg, 'encoder', config);
  const moments = 2 * config.latentChannels;
  const quantConv = new Conv2d(reg, 'quant_conv', moments, moments, { kernel: 1 });
  const name = 'vae_encoder';
  return {
    name,
    params: reg.specs,
    inputNames: ['image'],
    outputNames: ['mean', 'logvar'],
    forward<T>(o: Ops<T>, inputs: Readonly<Record<string, T>>): Record<string, T> {
      const image = imageInput(o, name, inputs, 'image', config.inChannels);
      return diagonalGaussian(o, quantConv.forward(o, encoder.forward(o, image)), config.latentChannels);
    },
  };
}

import type { Component } from '../../../libs/diffusion/src/models/component';
import { Conv2d, GroupNorm, LayerNorm, Linear, ParamRegistry } from '../../../libs/diffusion/src/models/nn';
import type { Ops } from '../../../libs/diffusion/src/ops/ops';

export type Forward = <T>(o: Ops<T>, inputs: Readonly<Record<string, T>>) => T;

/** A one-output component from a function that declares its modules and returns its forward. */
export function component(name: string, inputNames: readonly string[], build: (reg: ParamRegistry) => Forward): Component {
  const reg = new ParamRegistry();
  const forward = build(reg);
  return {
    name,
    params: reg.specs,
    inputNames,
    outputNames: ['out'],
    forward: (o, inputs) => ({ out: forward(o, inputs) }),
  };
}

/**
 * A small UNet-like block with every fusion point: conv, group norm + SiLU, a timestep vector added
 * per channel, self- and cross-attention with layer norms after residual adds, a GEGLU feed-forward,
 * upsampling and a skip concat. Inputs: `x` [B, C, H, W], `temb` [B, E], `context` [B, T, D].
 */
export function unetLikeBlock(channels: number, embed: number, contextDim: number, heads: number, options: { upcast?: boolean } = {}): Component {
  return component('unet-like-block', ['x', 'temb', 'context'], (reg) => {
    const convIn = new Conv2d(reg, 'conv_in', channels, channels, { kernel: 3, padding: 1 });
    const norm1 = new GroupNorm(reg, 'norm1', 4, channels, 1e-5);
    const tembProj1 = new Linear(reg, 'time.linear_1', embed, embed);
    const tembProj2 = new Linear(reg, 'time.linear_2', embed, channels);
    const ln1 = new LayerNorm(reg, 'ln1', channels, 1e-5);
    const q = new Linear(reg, 'attn1.q', channels, channels, false);
    const k = new Linear(reg, 'attn1.k', channels, channels, false);
    const v = new Linear(reg, 'attn1.v', channels, channels, false);
    const out1 = new Linear(reg, 'attn1.out', channels, channels);
    const ln2 = new LayerNorm(reg, 'ln2', channels, 1e-5);
    const q2 = new Linear(reg, 'attn2.q', channels, channels, false);
    const k2 = new Linear(reg, 'attn2.k', contextDim, channels, false);
    const v2 = new Linear(reg, 'attn2.v', contextDim, channels, false);
    const out2 = new Linear(reg, 'attn2.out', channels, channels);
    const ln3 = new LayerNorm(reg, 'ln3', channels, 1e-5);
    const ffIn = new Linear(reg, 'ff.proj', channels, channels * 4);
    const ffOut = new Linear(reg, 'ff.out', channels * 2, channels);
    const norm2 = new GroupNorm(reg, 'norm2', 4, 2 * channels, 1e-6);
    const convOut = new Conv2d(reg, 'conv_out', 2 * channels, channels, { kernel: 3, padding: 1 });
    return (o, inputs) => {
      const x = inputs.x!;
      const [, , h, w] = o.shape(x) as [number, number, number, number];
      const temb = tembProj2.forward(o, o.silu(tembProj1.forward(o, inputs.temb!)));
      let hidden = o.addChannels(norm1.forward(o, convIn.forward(o, x), 'silu'), temb);
      let tokens = o.toTokens(hidden);
      const n1 = ln1.forward(o, tokens);
      tokens = o.add(out1.forward(o, o.attention(q.forward(o, n1), k.forward(o, n1), v.forward(o, n1), { heads, upcast: options.upcast })), tokens);
      const n2 = ln2.forward(o, tokens);
      const ctx = inputs.context!;
      tokens = o.add(out2.forward(o, o.attention(q2.forward(o, n2), k2.forward(o, ctx), v2.forward(o, ctx), { heads, upcast: options.upcast })), tokens);
      tokens = o.add(ffOut.forward(o, o.geglu(ffIn.forward(o, ln3.forward(o, tokens)))), tokens);
      hidden = o.fromTokens(tokens, h, w);
      const up = o.upsampleNearest2x(o.concatChannels(hidden, x));
      return convOut.forward(o, norm2.forward(o, up, 'silu'));
    };
  });
}

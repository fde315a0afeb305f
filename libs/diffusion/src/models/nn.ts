import type { Ops, ParamKind, ParamSpec, Padding } from '../ops/ops';

/** Collects the weights a model's modules declare, under their checkpoint names. */
export class ParamRegistry {
  readonly specs: ParamSpec[] = [];

  add(name: string, shape: readonly number[], kind: ParamKind): ParamSpec {
    const spec: ParamSpec = { name, shape: [...shape], kind };
    this.specs.push(spec);
    return spec;
  }
}

export function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

export class Linear {
  readonly weight: ParamSpec;
  readonly bias?: ParamSpec;

  constructor(reg: ParamRegistry, prefix: string, readonly inFeatures: number, readonly outFeatures: number, bias = true) {
    this.weight = reg.add(join(prefix, 'weight'), [outFeatures, inFeatures], 'linear');
    if (bias) this.bias = reg.add(join(prefix, 'bias'), [outFeatures], 'vector');
  }

  forward<T>(o: Ops<T>, x: T): T {
    return o.linear(x, o.param(this.weight), this.bias && o.param(this.bias));
  }
}

export interface Conv2dConfig {
  readonly kernel: number;
  readonly stride?: number;
  readonly padding?: Padding;
  readonly bias?: boolean;
}

export class Conv2d {
  readonly weight: ParamSpec;
  readonly bias?: ParamSpec;

  constructor(reg: ParamRegistry, prefix: string, readonly inChannels: number, readonly outChannels: number, private readonly config: Conv2dConfig) {
    this.weight = reg.add(join(prefix, 'weight'), [outChannels, inChannels, config.kernel, config.kernel], 'conv');
    if (config.bias !== false) this.bias = reg.add(join(prefix, 'bias'), [outChannels], 'vector');
  }

  forward<T>(o: Ops<T>, x: T): T {
    return o.conv2d(x, o.param(this.weight), this.bias && o.param(this.bias), {
      stride: this.config.stride ?? 1,
      padding: this.config.padding ?? 0,
    });
  }
}

export class GroupNorm {
  readonly weight: ParamSpec;
  readonly bias: ParamSpec;

  constructor(reg: ParamRegistry, prefix: string, readonly groups: number, channels: number, readonly eps: number) {
    if (channels % groups !== 0) throw new Error(`${prefix}: ${channels} channels do not split into ${groups} groups`);
    this.weight = reg.add(join(prefix, 'weight'), [channels], 'vector');
    this.bias = reg.add(join(prefix, 'bias'), [channels], 'vector');
  }

  forward<T>(o: Ops<T>, x: T, activation?: 'silu'): T {
    return o.groupNorm(x, this.groups, o.param(this.weight), o.param(this.bias), this.eps, activation);
  }
}

export class LayerNorm {
  readonly weight: ParamSpec;
  readonly bias: ParamSpec;

  constructor(reg: ParamRegistry, prefix: string, channels: number, readonly eps: number) {
    this.weight = reg.add(join(prefix, 'weight'), [channels], 'vector');
    this.bias = reg.add(join(prefix, 'bias'), [channels], 'vector');
  }

  forward<T>(o: Ops<T>, x: T): T {
    return o.layerNorm(x, o.param(this.weight), o.param(this.bias), this.eps);
  }
}

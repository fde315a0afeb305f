import type { AttentionOptions, Conv2dOptions, Ops, ParamSpec, WeightMap } from '../ops';
import { recordAttention } from './attention';
import { GraphWriter } from './graph-writer';
import { serializeModel, type SerializeOptions } from './model-proto';
import { MS_DOMAIN, attr, type OnnxGraph } from './onnx-graph';
import { PrecisionPlan } from './precision-plan';
import type { FusionSet, RecordOptions } from './record-options';
import { formatShape, isFloat, type Sym } from './sym';

const SQRT1_2 = Math.SQRT1_2;

/**
 * Ops that record instead of computing: every call appends ONNX nodes (opset 17, NCHW images), the
 * weights become initializers, and the result is a graph ONNX Runtime runs. The precision plan
 * decides per op where float16 is used; the fusion set decides which contrib kernels replace
 * op sequences (a jit compile); with no fusions the graph is the plain op-by-op program.
 */
export class OnnxGraphBuilder implements Ops<Sym> {
  private readonly w: GraphWriter;
  private readonly plan: PrecisionPlan;
  private readonly fusions: FusionSet;
  /** linear outputs that are MatMul + bias Add, candidates for BiasGelu / BiasSplitGelu. */
  private readonly biasAdds = new Map<string, { matmul: string; bias: string }>();
  /** add() outputs of two same-shape [B, T, C] values, candidates for SkipLayerNormalization. */
  private readonly residualAdds = new Set<string>();

  constructor(weights: WeightMap, options: RecordOptions) {
    this.w = new GraphWriter(weights, options.owner);
    this.plan = new PrecisionPlan(options.precision);
    this.fusions = options.fusions;
  }

  get graph(): OnnxGraph {
    return this.w.graph;
  }

  /** Declares a graph input; float sequences and images enter the float16 path under mixed precision. */
  input(name: string, shape: readonly number[], dtype: 'float32' | 'int32'): Sym {
    this.w.graph.addInput({ name, dtype, shape });
    const sym: Sym = { name, shape: [...shape], dtype };
    return dtype === 'float32' ? this.w.cast(sym, this.plan.entryDtype(shape)) : sym;
  }

  /** Declares a graph output, as float32. */
  output(name: string, value: Sym): void {
    if (!isFloat(value.dtype)) throw new Error(`${this.w.owner}: output ${name} is ${value.dtype}; outputs must be float`);
    const [out] = value.dtype === 'float32'
      ? this.w.graph.addNode('Identity', [value.name], [name])
      : this.w.graph.addNode('Cast', [value.name], [name], [attr.int('to', 1)]);
    this.w.graph.addOutput({ name: out!, dtype: 'float32', shape: value.shape });
  }

  toModelProto(options: Omit<SerializeOptions, 'graphName'> = {}): Uint8Array {
    return serializeModel(this.w.graph, { graphName: this.w.owner, ...options });
  }

  shape(x: Sym): readonly number[] {
    return x.shape;
  }

  /** A recorder keeps nothing to free: the scope is just the calls it makes. */
  scope(fn: () => Sym): Sym {
    return fn();
  }

  param(spec: ParamSpec): Sym {
    return this.w.params.param(spec);
  }

  add(a: Sym, b: Sym): Sym {
    const out = this.binary('Add', a, b);
    if (a.shape.length === 3 && formatShape(a.shape) === formatShape(b.shape) && !this.w.params.isInitializer(b)) this.residualAdds.add(out.name);
    return out;
  }

  mul(a: Sym, b: Sym): Sym {
    return this.binary('Mul', a, b);
  }

  scale(x: Sym, factor: number): Sym {
    const dt = this.plan.compute(x);
    return this.w.node('Mul', [this.w.as(x, dt), this.w.params.scalar(factor, dt)], x.shape, dt);
  }

  clamp(x: Sym, min: number, max: number): Sym {
    if (!(min <= max)) throw new Error(`${this.w.owner}: clamp needs min <= max, got [${min}, ${max}]`);
    const dt = this.plan.compute(x);
    const p = this.w.params;
    return this.w.node('Clip', [this.w.as(x, dt), p.scalar(min, dt), p.scalar(max, dt)], x.shape, dt);
  }

  silu(x: Sym): Sym {
    return this.sigmoidGate(x, 1);
  }

  gelu(x: Sym): Sym {
    const dt = this.plan.compute(x);
    if (this.fusions.gelu) {
      const biased = this.takeBiasAdd(x);
      if (biased) return this.w.node('BiasGelu', [biased.matmul, biased.bias], x.shape, dt, [], MS_DOMAIN);
      return this.w.node('Gelu', [this.w.as(x, dt)], x.shape, dt, [], MS_DOMAIN);
    }
    const xs = this.w.as(x, dt);
    const erf = this.w.node('Erf', [this.w.node('Mul', [xs, this.w.params.scalar(SQRT1_2, dt)], x.shape, dt).name], x.shape, dt);
    const onePlus = this.w.node('Add', [erf.name, this.w.params.scalar(1, dt)], x.shape, dt);
    const half = this.w.node('Mul', [xs, this.w.params.scalar(0.5, dt)], x.shape, dt);
    return this.w.node('Mul', [half.name, onePlus.name], x.shape, dt);
  }

  quickGelu(x: Sym): Sym {
    return this.sigmoidGate(x, 1.702);
  }

  geglu(x: Sym): Sym {
    const last = x.shape[x.shape.length - 1]!;
    if (last % 2 !== 0) throw new Error(`${this.w.owner}: geglu needs an even last dim, got ${formatShape(x.shape)}`);
    const half = last / 2;
    const outShape = [...x.shape.slice(0, -1), half];
    const dt = this.plan.compute(x);
    if (this.fusions.biasSplitGelu) {
      const biased = this.takeBiasAdd(x);
      if (biased) return this.w.node('BiasSplitGelu', [biased.matmul, biased.bias], outShape, dt, [], MS_DOMAIN);
    }
    const [a, gate] = this.w.graph.addNode('Split', [this.w.as(x, dt), this.w.params.int64s([half, half])], 2, [attr.int('axis', -1)]);
    const gelu = this.gelu({ name: gate!, shape: outShape, dtype: dt });
    return this.w.node('Mul', [a!, gelu.name], outShape, dt);
  }

  linear(x: Sym, weight: Sym, bias?: Sym): Sym {
    const [out, inp] = weight.shape as [number, number];
    if (weight.shape.length !== 2 || x.shape[x.shape.length - 1] !== inp) {
      throw new Error(`${this.w.owner}: linear of ${formatShape(x.shape)} by weight ${formatShape(weight.shape)} ([out, in]): the last dim must be ${weight.shape[1]}`);
    }
    if (bias && formatShape(bias.shape) !== formatShape([out])) throw new Error(`${this.w.owner}: linear bias ${formatShape(bias.shape)} must be [${out}]`);
    const dt = this.plan.compute(x);
    const weightT = this.w.params.isTransposedLinear(weight)
      ? this.w.as(weight, dt)
      : this.w.transpose({ name: this.w.as(weight, dt), shape: weight.shape, dtype: dt }, [1, 0]).name;
    const shape = [...x.shape.slice(0, -1), out];
    const product = this.w.node('MatMul', [this.w.as(x, dt), weightT], shape, dt);
    if (!bias) return product;
    const biasName = this.w.as(bias, dt);
    const sum = this.w.node('Add', [product.name, biasName], shape, dt);
    this.biasAdds.set(sum.name, { matmul: product.name, bias: biasName });
    return sum;
  }

  layerNorm(x: Sym, gamma: Sym, beta: Sym, eps: number): Sym {
    const channels = x.shape[x.shape.length - 1]!;
    this.checkVector('layerNorm', gamma, channels, x);
    this.checkVector('layerNorm', beta, channels, x);
    const dt = this.plan.compute(x);
    const scale = this.w.as(gamma, dt);
    const shift = this.w.as(beta, dt);
    const producer = this.fusions.skipLayerNorm && this.residualAdds.has(x.name) ? this.w.graph.producer(x.name) : undefined;
    if (producer && producer.opType === 'Add' && x.dtype === dt) {
      // The sum stays available as the fused kernel's fourth output, for the residual path.
      const normed = this.w.graph.fresh('SkipLayerNormalization');
      this.w.graph.rewrite(producer, {
        opType: 'SkipLayerNormalization',
        domain: MS_DOMAIN,
        inputs: [producer.inputs[0]!, producer.inputs[1]!, scale, shift],
        outputs: [normed, '', '', x.name],
        attributes: [attr.float('epsilon', eps)],
      });
      this.residualAdds.delete(x.name);
      return { name: normed, shape: x.shape, dtype: dt };
    }
    return this.w.node('LayerNormalization', [this.w.as(x, dt), scale, shift], x.shape, dt, [
      attr.int('axis', -1),
      attr.float('epsilon', eps),
    ]);
  }

  attention(q: Sym, k: Sym, v: Sym, options: AttentionOptions): Sym {
    return recordAttention(this.w, this.plan, this.fusions.multiHeadAttention, q, k, v, options);
  }

  embedding(ids: Sym, table: Sym): Sym {
    if (ids.dtype !== 'int32' && ids.dtype !== 'int64') throw new Error(`${this.w.owner}: embedding ids must be integers, got ${ids.dtype}`);
    if (table.shape.length !== 2) throw new Error(`${this.w.owner}: embedding table must be [rows, dim], got ${formatShape(table.shape)}`);
    const dt = this.plan.embeddingDtype();
    return this.w.node('Gather', [this.w.as(table, dt), ids.name], [...ids.shape, table.shape[1]!], dt, [attr.int('axis', 0)]);
  }

  conv2d(x: Sym, weight: Sym, bias: Sym | undefined, options: Conv2dOptions = {}): Sym {
    const [batch, cin, h, wd] = this.checkImage('conv2d', x);
    const [cout, wcin, kh, kw] = weight.shape as [number, number, number, number];
    if (weight.shape.length !== 4 || wcin !== cin) {
      throw new Error(`${this.w.owner}: conv2d of ${formatShape(x.shape)} by weight ${formatShape(weight.shape)} ([out, in, kh, kw]): in must be ${cin}`);
    }
    if (bias) this.checkVector('conv2d', bias, cout, x);
    const stride = options.stride ?? 1;
    const p = options.padding ?? 0;
    const [top, bottom, left, right] = typeof p === 'number' ? [p, p, p, p] : p;
    const oh = Math.floor((h + top + bottom - kh) / stride) + 1;
    const ow = Math.floor((wd + left + right - kw) / stride) + 1;
    if (oh < 1 || ow < 1) throw new Error(`${this.w.owner}: conv2d kernel ${kh}x${kw} does not fit input ${formatShape(x.shape)} with padding ${JSON.stringify(p)}`);
    const dt = this.plan.compute(x);
    const inputs = [this.w.as(x, dt), this.w.as(weight, dt)];
    if (bias) inputs.push(this.w.as(bias, dt));
    return this.w.node('Conv', inputs, [batch, cout, oh, ow], dt, [
      attr.ints('kernel_shape', [kh, kw]),
      attr.ints('strides', [stride, stride]),
      attr.ints('pads', [top, left, bottom, right]),
      attr.ints('dilations', [1, 1]),
      attr.int('group', 1),
    ]);
  }

  groupNorm(x: Sym, groups: number, gamma: Sym, beta: Sym, eps: number, activation?: 'silu'): Sym {
    const [batch, channels, h, wd] = this.checkImage('groupNorm', x);
    if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
      throw new Error(`${this.w.owner}: groupNorm of ${channels} channels into ${groups} groups: groups must divide the channels`);
    }
    this.checkVector('groupNorm', gamma, channels, x);
    this.checkVector('groupNorm', beta, channels, x);
    const dt = this.plan.compute(x);
    // Statistics and affine in float32 whatever the compute precision: InstanceNormalization over
    // [B, G, C/G·H·W] is group norm without its per-channel affine.
    const grouped = this.w.reshape(this.w.cast(x, 'float32'), [batch, groups, (channels / groups) * h * wd]);
    const ones = this.w.params.constant(new Float32Array(groups).fill(1), [groups], 'float32');
    const zeros = this.w.params.constant(new Float32Array(groups), [groups], 'float32');
    const normed = this.w.node('InstanceNormalization', [grouped.name, ones, zeros], grouped.shape, 'float32', [attr.float('epsilon', eps)]);
    const image = this.w.reshape(normed, x.shape);
    const scaled = this.w.node('Mul', [image.name, this.channelVector(gamma)], x.shape, 'float32');
    const shifted = this.w.cast(this.w.node('Add', [scaled.name, this.channelVector(beta)], x.shape, 'float32'), dt);
    return activation === 'silu' ? this.silu(shifted) : shifted;
  }

  addChannels(x: Sym, v: Sym): Sym {
    const [batch, channels] = this.checkImage('addChannels', x);
    if (v.shape.length !== 2 || (v.shape[0] !== batch && v.shape[0] !== 1) || v.shape[1] !== channels) {
      throw new Error(`${this.w.owner}: addChannels of ${formatShape(v.shape)} to ${formatShape(x.shape)}: needs [${batch}, ${channels}]`);
    }
    const dt = this.plan.compute(x, v);
    const column = this.w.reshape(this.w.cast(v, dt), [v.shape[0]!, channels, 1, 1]);
    return this.w.node('Add', [this.w.as(x, dt), column.name], x.shape, dt);
  }

  upsampleNearest2x(x: Sym): Sym {
    const [batch, channels, h, wd] = this.checkImage('upsampleNearest2x', x);
    const scales = this.w.params.constant(new Float32Array([1, 1, 2, 2]), [4], 'float32');
    return this.w.node('Resize', [x.name, '', scales], [batch, channels, 2 * h, 2 * wd], x.dtype, [
      attr.string('mode', 'nearest'),
      attr.string('coordinate_transformation_mode', 'asymmetric'),
      attr.string('nearest_mode', 'floor'),
    ]);
  }

  /**
   * Two Gathers with PyTorch's source indices, min(floor(dst · fround(in / out)), in − 1) in float32,
   * so every size (not just the ratios Resize's own coordinate arithmetic rounds alike) matches.
   */
  resizeNearest(x: Sym, height: number, width: number): Sym {
    const [batch, channels, h, wd] = this.checkImage('resizeNearest', x);
    if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
      throw new Error(`${this.w.owner}: resizeNearest to ${height}x${width}: sizes must be positive integers`);
    }
    if (height === h && width === wd) return x;
    const rows = this.w.node('Gather', [x.name, this.w.params.int64s(nearestIndices(h, height))], [batch, channels, height, wd], x.dtype, [attr.int('axis', 2)]);
    return this.w.node('Gather', [rows.name, this.w.params.int64s(nearestIndices(wd, width))], [batch, channels, height, width], x.dtype, [attr.int('axis', 3)]);
  }

  concatChannels(a: Sym, b: Sym): Sym {
    const [batch, ca, h, wd] = this.checkImage('concatChannels', a);
    const [bb, cb, bh, bw] = this.checkImage('concatChannels', b);
    if (bb !== batch || bh !== h || bw !== wd) throw new Error(`${this.w.owner}: concatChannels of ${formatShape(a.shape)} and ${formatShape(b.shape)}: batch and size must match`);
    const dt = this.plan.compute(a, b);
    return this.w.node('Concat', [this.w.as(a, dt), this.w.as(b, dt)], [batch, ca + cb, h, wd], dt, [attr.int('axis', 1)]);
  }

  sliceChannels(x: Sym, start: number, end: number): Sym {
    const [batch, channels, h, wd] = this.checkImage('sliceChannels', x);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > channels || start >= end) {
      throw new Error(`${this.w.owner}: sliceChannels [${start}, ${end}) is outside the ${channels} channels of ${formatShape(x.shape)}`);
    }
    const p = this.w.params;
    return this.w.node('Slice', [x.name, p.int64s([start]), p.int64s([end]), p.int64s([1])], [batch, end - start, h, wd], x.dtype);
  }

  toTokens(x: Sym): Sym {
    const [batch, channels, h, wd] = this.checkImage('toTokens', x);
    return this.w.transpose(this.w.reshape(x, [batch, channels, h * wd]), [0, 2, 1]);
  }

  fromTokens(x: Sym, height: number, width: number): Sym {
    if (x.shape.length !== 3 || x.shape[1] !== height * width) {
      throw new Error(`${this.w.owner}: fromTokens of ${formatShape(x.shape)} to ${height}x${width}: needs [B, ${height * width}, C]`);
    }
    const [batch, , channels] = x.shape as [number, number, number];
    return this.w.reshape(this.w.transpose(x, [0, 2, 1]), [batch, channels, height, width]);
  }

  /** x · sigmoid(alpha · x): SiLU (alpha 1) and CLIP's quick GELU (alpha 1.702). */
  private sigmoidGate(x: Sym, alpha: number): Sym {
    const dt = this.plan.compute(x);
    const xs = this.w.as(x, dt);
    if (this.fusions.quickGelu) return this.w.node('QuickGelu', [xs], x.shape, dt, [attr.float('alpha', alpha)], MS_DOMAIN);
    const arg = alpha === 1 ? xs : this.w.node('Mul', [xs, this.w.params.scalar(alpha, dt)], x.shape, dt).name;
    const gate = this.w.node('Sigmoid', [arg], x.shape, dt);
    return this.w.node('Mul', [xs, gate.name], x.shape, dt);
  }

  private binary(op: 'Add' | 'Mul', a: Sym, b: Sym): Sym {
    const shape = broadcastShape(a.shape, b.shape);
    if (!shape) throw new Error(`${this.w.owner}: ${op.toLowerCase()} of ${formatShape(a.shape)} and ${formatShape(b.shape)}: shapes do not broadcast`);
    const dt = this.plan.compute(a, b);
    return this.w.node(op, [this.w.as(a, dt), this.w.as(b, dt)], shape, dt);
  }

  /**
   * The MatMul and bias of a linear output that nothing has read yet, for a bias-fused activation;
   * the Add is dropped (and re-emitted if the plain output is read later).
   */
  private takeBiasAdd(x: Sym): { matmul: string; bias: string } | undefined {
    const entry = this.biasAdds.get(x.name);
    const producer = this.w.graph.producer(x.name);
    if (!entry || !producer || this.w.graph.consumers(x.name) > 0 || producer.opType !== 'Add') return undefined;
    this.biasAdds.delete(x.name);
    this.w.graph.remove(producer);
    return entry;
  }

  /** A [C] weight as a [C, 1, 1] float32 initializer (or a Reshape when it is computed). */
  private channelVector(v: Sym): string {
    const dims = [v.shape[0]!, 1, 1];
    return this.w.params.variant(v, 'float32', dims) ?? this.w.reshape(this.w.cast(v, 'float32'), dims).name;
  }

  private checkImage(op: string, x: Sym): [number, number, number, number] {
    if (x.shape.length !== 4) throw new Error(`${this.w.owner}: ${op} needs an image [B, C, H, W], got ${formatShape(x.shape)}`);
    return x.shape as [number, number, number, number];
  }

  private checkVector(op: string, v: Sym, size: number, x: Sym): void {
    if (v.shape.length !== 1 || v.shape[0] !== size) {
      throw new Error(`${this.w.owner}: ${op} of ${formatShape(x.shape)} needs a [${size}] vector, got ${formatShape(v.shape)}`);
    }
  }
}

/** PyTorch's nearest source index for each destination index. */
function nearestIndices(input: number, output: number): number[] {
  const scale = Math.fround(input / output);
  return Array.from({ length: output }, (_, i) => Math.min(Math.floor(Math.fround(i * scale)), input - 1));
}

/** NumPy broadcasting of two shapes, or undefined when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

import type { ParamSpec, WeightMap } from '../ops';
import { sizeOf } from '../../tensor';
import type { OnnxGraph } from './onnx-graph';
import { formatShape, type Sym, type SymDtype } from './sym';

/**
 * The component's weights as initializers: each checkpoint tensor once, in the layout ONNX kernels
 * want (linear weights pre-transposed to [in, out] for MatMul, conv weights as OIHW), plus typed or
 * reshaped variants (a float16 copy, a [C, 1, 1] view) made at record time instead of Cast/Reshape nodes.
 */
export class ParamStore {
  private readonly bySpec = new Map<string, Sym>();
  private readonly transposed = new Set<string>();
  private readonly constants = new Map<string, string>();

  constructor(private readonly graph: OnnxGraph, private readonly weights: WeightMap, private readonly owner: string) {}

  param(spec: ParamSpec): Sym {
    const cached = this.bySpec.get(spec.name);
    if (cached) return cached;
    const tensor = this.weights.get(spec.name);
    if (!tensor) throw new Error(`${this.owner}: weight ${spec.name} (${spec.kind} ${formatShape(spec.shape)}) is missing from the weights`);
    if (formatShape(tensor.shape) !== formatShape(spec.shape)) {
      throw new Error(`${this.owner}: weight ${spec.name} has shape ${formatShape(tensor.shape)}, the model needs ${formatShape(spec.shape)}`);
    }
    if (spec.kind === 'linear') {
      if (spec.shape.length !== 2) throw new Error(`${this.owner}: linear weight ${spec.name} must be 2-D [out, in], got ${formatShape(spec.shape)}`);
      const [out, inp] = spec.shape as [number, number];
      this.graph.addInitializer({ name: spec.name, dims: [inp, out], dtype: 'float32', values: () => transpose2d(this.read(spec), out, inp) });
      this.transposed.add(spec.name);
    } else {
      this.graph.addInitializer({ name: spec.name, dims: [...spec.shape], dtype: 'float32', values: () => this.read(spec) });
    }
    const sym: Sym = { name: spec.name, shape: [...spec.shape], dtype: 'float32' };
    this.bySpec.set(spec.name, sym);
    return sym;
  }

  /**
   * The weight's values, fetched when the model is written rather than held by the graph, so a
   * weight map that produces tensors on demand is never all in memory at once.
   */
  private read(spec: ParamSpec): Float32Array {
    const tensor = this.weights.get(spec.name);
    if (!tensor || tensor.data.length !== sizeOf(spec.shape)) throw new Error(`${this.owner}: weight ${spec.name} changed or vanished while the model was written`);
    return tensor.data;
  }

  /** Whether `sym` is a linear weight stored as [in, out]. */
  isTransposedLinear(sym: Sym): boolean {
    return this.transposed.has(sym.name);
  }

  isInitializer(sym: Sym): boolean {
    return this.graph.initializer(sym.name) !== undefined;
  }

  /**
   * The initializer holding `sym`'s values as `dtype`, optionally with other dims of the same size;
   * undefined when `sym` is not an initializer.
   */
  variant(sym: Sym, dtype: SymDtype, dims?: readonly number[]): string | undefined {
    const source = this.graph.initializer(sym.name);
    if (!source) return undefined;
    const newDims = dims ?? source.dims;
    if (sizeOf(newDims) !== sizeOf(source.dims)) {
      throw new Error(`initializer ${sym.name} ${formatShape(source.dims)} cannot be viewed as ${formatShape(newDims)}`);
    }
    if (source.dtype === dtype && formatShape(newDims) === formatShape(source.dims)) return sym.name;
    if (dtype === 'int32' || dtype === 'int64' || source.dtype === 'int32' || source.dtype === 'int64') {
      if (source.dtype !== dtype) throw new Error(`initializer ${sym.name} is ${source.dtype}; it cannot be recast to ${dtype}`);
    }
    const name = `${sym.name}::${dtype}${dims ? `::${newDims.join('x')}` : ''}`;
    return this.graph.addInitializer({ name, dims: newDims, dtype, values: source.values });
  }

  /** A constant tensor, shared between every node that needs the same values. */
  constant(values: Float32Array | BigInt64Array, dims: readonly number[], dtype: SymDtype): string {
    const key = `${dtype}|${dims.join('x')}|${Array.from(values, String).join(',')}`;
    const cached = this.constants.get(key);
    if (cached) return cached;
    const init = this.graph.addInitializer({ name: `sdfarm.const_${this.constants.size}`, dims, dtype, values: () => values });
    this.constants.set(key, init);
    return init;
  }

  scalar(value: number, dtype: 'float32' | 'float16'): string {
    return this.constant(new Float32Array([value]), [], dtype);
  }

  int64s(values: readonly number[]): string {
    return this.constant(BigInt64Array.from(values, (v) => BigInt(v)), [values.length], 'int64');
  }
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[row + c]!;
  }
  return out;
}

import type { WeightMap } from '../ops';
import { sizeOf } from '../../tensor';
import { OnnxGraph, attr, type Attribute } from './onnx-graph';
import { ParamStore } from './params';
import { formatShape, type Sym, type SymDtype } from './sym';

const ONNX_TYPE_ID: Record<SymDtype, number> = { float32: 1, int32: 6, int64: 7, float16: 10 };

/** Node emission with shapes and dtypes tracked: the layer the recorder's ops are written on. */
export class GraphWriter {
  readonly graph = new OnnxGraph();
  readonly params: ParamStore;
  private readonly casts = new Map<string, Sym>();

  constructor(weights: WeightMap, readonly owner: string) {
    this.params = new ParamStore(this.graph, weights, owner);
  }

  /** Appends a one-output node. */
  node(opType: string, inputs: readonly string[], shape: readonly number[], dtype: SymDtype, attributes: readonly Attribute[] = [], domain = ''): Sym {
    const [name] = this.graph.addNode(opType, inputs, 1, attributes, domain);
    return { name: name!, shape: [...shape], dtype };
  }

  /** `sym` as `dtype`: itself, a typed copy of an initializer, or a Cast node (one per value and type). */
  as(sym: Sym, dtype: SymDtype): string {
    if (sym.dtype === dtype) return sym.name;
    const variant = this.params.variant(sym, dtype);
    if (variant) return variant;
    return this.cast(sym, dtype).name;
  }

  cast(sym: Sym, dtype: SymDtype): Sym {
    if (sym.dtype === dtype) return sym;
    const key = `${sym.name}->${dtype}`;
    let cast = this.casts.get(key);
    if (!cast) {
      cast = this.node('Cast', [sym.name], sym.shape, dtype, [attr.int('to', ONNX_TYPE_ID[dtype])]);
      this.casts.set(key, cast);
    }
    return cast;
  }

  reshape(x: Sym, shape: readonly number[]): Sym {
    if (sizeOf(shape) !== sizeOf(x.shape)) throw new Error(`${this.owner}: cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}`);
    if (formatShape(shape) === formatShape(x.shape)) return x;
    return this.node('Reshape', [x.name, this.params.int64s(shape)], shape, x.dtype);
  }

  transpose(x: Sym, perm: readonly number[]): Sym {
    return this.node('Transpose', [x.name], perm.map((p) => x.shape[p]!), x.dtype, [attr.ints('perm', perm)]);
  }
}

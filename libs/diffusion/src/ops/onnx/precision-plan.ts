import type { Precision } from '../../runtime/runtime';
import type { Sym, SymDtype } from './sym';

export type FloatDtype = 'float32' | 'float16';

/**
 * Where each recorded op computes, decided at record time (Keras' mixed_float16 policy: float16
 * weights and activations, numerically fragile parts in float32):
 * - activations entering the graph as sequences or images ([B, T, C], [B, C, H, W]) are cast to
 *   float16; per-sample vectors ([B, C]: the timestep projection) stay float32, so the timestep
 *   embedding MLP runs in float32 and is cast only where it joins the image features;
 * - an op computes in float16 when any of its activation inputs is float16, its weights then being
 *   float16 copies; group-norm statistics and affine, and softmax, run in float32 (the callers cast
 *   around them); layer norm keeps float16 input/output with float32 statistics (ONNX stash_type);
 *   with `upcast` the attention scores are float32 too;
 * - outputs are cast back to float32.
 */
export class PrecisionPlan {
  constructor(readonly precision: Precision) {}

  get mixed(): boolean {
    return this.precision === 'mixed_float16';
  }

  /** The dtype a float graph input is computed in. */
  entryDtype(shape: readonly number[]): FloatDtype {
    return this.mixed && shape.length >= 3 ? 'float16' : 'float32';
  }

  /** The dtype an op reading these activations computes in. */
  compute(...activations: readonly Sym[]): FloatDtype {
    return this.mixed && activations.some((a) => a.dtype === 'float16') ? 'float16' : 'float32';
  }

  /** The dtype the embedding table is read in (token embeddings start the float16 path). */
  embeddingDtype(): FloatDtype {
    return this.mixed ? 'float16' : 'float32';
  }
}

export function isFloatDtype(dtype: SymDtype): dtype is FloatDtype {
  return dtype === 'float32' || dtype === 'float16';
}

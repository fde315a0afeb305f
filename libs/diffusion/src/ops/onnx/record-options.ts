import type { Precision } from '../../runtime/runtime';

/**
 * Fused kernels the recorder may emit (ONNX Runtime contrib ops, domain com.microsoft). Each is used
 * only where the execution provider implements it; the runtime decides from its provider table.
 */
export interface FusionSet {
  /** attention → MultiHeadAttention (one kernel for the projections' reshapes, scores, softmax, mix). */
  readonly multiHeadAttention: boolean;
  /** residual add + layer norm → SkipLayerNormalization. */
  readonly skipLayerNorm: boolean;
  /** gelu → Gelu, and linear bias + gelu → BiasGelu. */
  readonly gelu: boolean;
  /** quickGelu → QuickGelu(1.702), silu → QuickGelu(1) (one kernel instead of Sigmoid and Mul). */
  readonly quickGelu: boolean;
  /** linear bias + GEGLU → BiasSplitGelu. */
  readonly biasSplitGelu: boolean;
}

export const NO_FUSIONS: FusionSet = {
  multiHeadAttention: false,
  skipLayerNorm: false,
  gelu: false,
  quickGelu: false,
  biasSplitGelu: false,
};

export interface RecordOptions {
  readonly precision: Precision;
  readonly fusions: FusionSet;
  /** Names errors after the component. */
  readonly owner: string;
}

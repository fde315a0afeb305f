import type { Ops, ParamSpec } from '../ops/ops';

export type InputLayout = 'image' | 'plain';

/** A model input fed from the host: images are NCHW. */
export interface HostInput {
  readonly data: Float32Array | Int32Array;
  readonly shape: readonly number[];
  readonly layout: InputLayout;
}

/**
 * One network of a pipeline (text encoder, UNet, VAE decoder, VAE encoder), written once against Ops.
 * `params` lists every weight it needs with its checkpoint shape, so a loader can check a folder
 * before any compute, and a runtime can lay the weights out once.
 */
export interface Component {
  readonly name: string;
  readonly params: readonly ParamSpec[];
  /** Input names, in the order a runtime should declare them. */
  readonly inputNames: readonly string[];
  /** Output names, in order. */
  readonly outputNames: readonly string[];
  forward<T>(ops: Ops<T>, inputs: Readonly<Record<string, T>>): Record<string, T>;
}

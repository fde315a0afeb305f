import type { Component, HostInput } from '../models/component';
import type { WeightMap } from '../ops/ops';
import type { HostTensor } from '../tensor';

export type RuntimeName = 'tfjs' | 'onnxruntime';
export type Precision = 'float32' | 'mixed_float16';
export type CompilePolicy = 'eager' | 'jit';

export const PRECISIONS: readonly Precision[] = ['float32', 'mixed_float16'];
export const COMPILE_POLICIES: readonly CompilePolicy[] = ['eager', 'jit'];

export interface Policy {
  readonly precision: Precision;
  readonly compile: CompilePolicy;
}

/** What ran: reported in every result so figures can be compared. */
export interface RuntimeInfo {
  readonly runtime: RuntimeName;
  /** tfjs backend (`tensorflow`, `wasm`, `cpu`) or ONNX Runtime execution provider (`cpu`, `webgpu`, `cuda`, …). */
  readonly backend: string;
  readonly device: string;
  readonly version: string;
}

/** A component made ready to run on one runtime under one policy. */
export interface Executor {
  /**
   * Milliseconds spent so far preparing graphs for new input shapes (recording, compiling, or loading a
   * compiled graph from cache), included in the run that paid it. 0 on a runtime that runs ops directly.
   */
  readonly compileMs: number;
  run(inputs: Readonly<Record<string, HostInput>>): Promise<Record<string, HostTensor>>;
  dispose(): void;
}

export interface Runtime {
  readonly info: RuntimeInfo;
  /** Why this runtime cannot run the policy, or undefined when it can. */
  unsupportedReason(policy: Policy): string | undefined;
  prepare(component: Component, weights: WeightMap, policy: Policy): Promise<Executor>;
}

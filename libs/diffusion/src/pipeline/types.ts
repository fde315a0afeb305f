import type { HostTensor } from '../tensor';
import type { Policy, RuntimeInfo } from '../runtime/runtime';

export interface RenderOptions {
  readonly prompts: readonly string[];
  readonly negativePrompt?: string;
  readonly steps: number;
  readonly guidanceScale: number;
  /** Multiples of 8; ignored when `latents` is given (they follow from its shape). */
  readonly width: number;
  readonly height: number;
  /** Images per prompt. */
  readonly batchSize: number;
  /**
   * Image i (prompt-major, then batch order) starts from torch-compatible noise seeded with seed + i,
   * so a batch split into chunks renders the same images as the whole.
   */
  readonly seed?: number;
  /** Index of the first image of this call within the whole job (for seed + i across chunks). */
  readonly firstImageIndex?: number;
  /** Explicit initial latents [images, 4, h/8, w/8], unscaled (as `latents.safetensors` holds them). */
  readonly latents?: HostTensor;
  /** A scheduler class name overriding `scheduler/scheduler_config.json`'s. */
  readonly scheduler?: string;
}

export interface StepProgress {
  /** 0-based. */
  readonly step: number;
  readonly steps: number;
  readonly timestep: number;
  /** This step's duration (UNet + guidance + scheduler), less any graph compilation it paid. */
  readonly ms: number;
}

export interface RenderCallbacks {
  onStep?(progress: StepProgress): void;
  onPhase?(phase: 'text_encode' | 'denoise' | 'decode', ms: number): void;
  /** Checked between steps: an aborted render rejects with an AbortError. */
  readonly signal?: AbortSignal;
}

export interface RenderedImage {
  /** RGB, height × width × 3. */
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly prompt: string;
  /** The seed its noise came from; undefined when latents were given. */
  readonly seed?: number;
}

/** Phase durations; graph compilation a runtime paid during this render is counted apart, in compileMs. */
export interface RenderTimings {
  /** Recording/compiling graphs for new shapes (the first render of a size on ONNX Runtime; 0 on tfjs). */
  readonly compileMs: number;
  readonly textEncodeMs: number;
  readonly stepsMs: readonly number[];
  readonly decodeMs: number;
  readonly totalMs: number;
}

export interface RenderOutput {
  readonly images: readonly RenderedImage[];
  /** The decoded images as floats in [0, 1], NCHW (what parity checks compare). */
  readonly imageTensor: HostTensor;
  readonly finalLatents: HostTensor;
  /** Images that came out NaN or black (a float16 overflow symptom), by index. */
  readonly degenerateImages: readonly number[];
  readonly timings: RenderTimings;
  readonly runtime: RuntimeInfo;
  readonly policy: Policy;
  readonly scheduler: string;
}

/** A loaded text-to-image pipeline: weights read, graphs prepared for one runtime and policy. */
export interface Pipeline {
  /** The model folder it was loaded from. */
  readonly modelPath: string;
  readonly policy: Policy;
  readonly runtime: RuntimeInfo;
  /** Reading and checking weights. */
  readonly loadMs: number;
  /** Preparing the runtime's graphs (compile, for `jit`). */
  readonly prepareMs: number;
  render(options: RenderOptions, callbacks?: RenderCallbacks): Promise<RenderOutput>;
  dispose(): void;
}

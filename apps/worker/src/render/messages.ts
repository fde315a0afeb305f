import type { RenderOptions, RenderTimings, StepProgress } from '../../../../libs/diffusion/src/pipeline/types';
import type { RuntimeOptions } from '../../../../libs/diffusion/src/runtime/create-runtime';
import type { Policy, RuntimeInfo, RuntimeName } from '../../../../libs/diffusion/src/runtime/runtime';
import type { PolicySupport } from '../../../../libs/contracts/src/render-job';

/** What the render thread is started with (`workerData`). */
export interface ThreadInit {
  readonly runtime: RuntimeName;
  readonly runtimeOptions: RuntimeOptions;
  readonly cacheSize: number;
  /** Int32 flag checked at every step: see `StopFlag`. */
  readonly stop: SharedArrayBuffer;
}

/** Why a render is to stop: a user cancel, or the worker shutting down and handing the chunk back. */
export enum StopFlag {
  None = 0,
  Cancel = 1,
  HandBack = 2,
}

export interface RenderRequest {
  readonly id: number;
  readonly model: string;
  readonly modelPath: string;
  readonly policy: Policy;
  /** Everything but the latents and callbacks: plain data that crosses threads. */
  readonly options: Omit<RenderOptions, 'latents'>;
}

export interface ThreadImage {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly prompt: string;
  readonly seed?: number;
}

export type ToThread = { readonly type: 'render'; readonly request: RenderRequest };

export type FromThread =
  | { readonly type: 'ready'; readonly runtime: RuntimeInfo; readonly policies: Policy[]; readonly unsupported: PolicySupport[] }
  | { readonly type: 'init-failed'; readonly message: string }
  | { readonly type: 'loaded'; readonly id: number; readonly cached: boolean; readonly loadMs: number; readonly prepareMs: number; readonly pipelines: string[] }
  | { readonly type: 'step'; readonly id: number; readonly progress: StepProgress }
  | {
      readonly type: 'done';
      readonly id: number;
      readonly images: ThreadImage[];
      readonly timings: RenderTimings;
      readonly runtime: RuntimeInfo;
      readonly policy: Policy;
      readonly scheduler: string;
      /** Images with NaN values or all black (a float16 overflow symptom), by index in this render. */
      readonly degenerate: number[];
    }
  | { readonly type: 'failed'; readonly id: number; readonly message: string; readonly stopped?: StopFlag };

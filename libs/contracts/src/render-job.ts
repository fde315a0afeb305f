import type { CompilePolicy, Policy, Precision, RuntimeInfo } from '../../diffusion/src/runtime/runtime';

/** Queue of render chunks: what workers take. */
export const RENDER_QUEUE = 'sdfarm-render';
/** Queue of the parent jobs a submission becomes (a BullMQ flow: one parent, one child per chunk). */
export const JOBS_QUEUE = 'sdfarm-jobs';
/** Redis key prefix of worker heartbeats (`<prefix><workerId>`, JSON WorkerStatus, with a TTL). */
export const WORKER_KEY_PREFIX = 'sdfarm:workers:';

/** What a user asks for; the API fills the defaults before anything is queued. */
export interface RenderParams {
  readonly prompts: string[];
  readonly negativePrompt: string;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  readonly guidanceScale: number;
  readonly scheduler?: string;
  readonly seed: number;
  readonly batchSize: number;
  readonly model: string;
  readonly precision: Precision;
  readonly compile: CompilePolicy;
}

/** One chunk of a job: at most a worker's batch of prompts. */
export interface RenderChunkData {
  readonly jobId: string;
  readonly chunk: number;
  readonly chunks: number;
  /** Index of this chunk's first prompt in the job's prompt list. */
  readonly promptOffset: number;
  /** The job's parameters with `prompts` cut to this chunk's. */
  readonly params: RenderParams;
  readonly submittedAt: number;
}

export interface ChunkProgress {
  readonly step: number;
  readonly steps: number;
  readonly stepMs: number;
  readonly worker: string;
}

export interface ImageRecord {
  /** Index in the job: prompt-major, then batch order. */
  readonly index: number;
  readonly key: string;
  readonly prompt: string;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
}

export interface ChunkTimings {
  readonly queueWaitMs: number;
  /** Loading weights (0 when the worker's pipeline cache had it). */
  readonly loadMs: number;
  /** Preparing/compiling graphs (0 when cached). */
  readonly compileMs: number;
  readonly textEncodeMs: number;
  readonly stepsMs: number[];
  readonly decodeMs: number;
  readonly pngEncodeMs: number;
  readonly uploadMs: number;
  readonly totalMs: number;
}

export interface ChunkResult {
  readonly jobId: string;
  readonly chunk: number;
  readonly worker: string;
  readonly device: string;
  readonly runtime: RuntimeInfo;
  readonly policy: Policy;
  readonly images: ImageRecord[];
  readonly timings: ChunkTimings;
  /** Set when a float16 run produced NaN or black images and was redone in float32. */
  readonly fallback?: string;
}

export interface WorkerStatus {
  readonly id: string;
  readonly host: string;
  readonly device: string;
  readonly runtime: RuntimeInfo;
  readonly policies: Policy[];
  readonly currentJob?: string;
  readonly pipelines: string[];
  readonly startedAt: number;
  readonly heartbeatAt: number;
}

/** Object keys depend only on the job id and image index, so a retried chunk overwrites its own. */
export const storageKeys = {
  image: (jobId: string, index: number) => `jobs/${jobId}/${index}.png`,
  manifest: (jobId: string) => `jobs/${jobId}/manifest.json`,
};

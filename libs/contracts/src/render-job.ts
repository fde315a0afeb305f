import type { CompilePolicy, Policy, Precision, RuntimeInfo } from '../../diffusion/src/runtime/runtime';

/** Queue of render chunks: what workers take. */
export const RENDER_QUEUE = 'sdfarm-render';
/** Queue of the parent jobs a submission becomes (a BullMQ flow: one parent, one child per chunk). */
export const JOBS_QUEUE = 'sdfarm-jobs';
/** Redis key prefix of worker heartbeats (`<prefix><workerId>`, JSON WorkerStatus, with a TTL). */
export const WORKER_KEY_PREFIX = 'sdfarm:workers:';
/** Redis key prefix of cancel marks (`<prefix><jobId>`): checked by workers before and during a render. */
export const CANCEL_KEY_PREFIX = 'sdfarm:cancel:';
/** Redis pub/sub channel on which a cancelled job id is announced, so a running render stops at the next step. */
export const CANCEL_CHANNEL = 'sdfarm:cancel';

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

/** The parent job's data: the whole submission. */
export interface RenderJobData {
  readonly jobId: string;
  readonly params: RenderParams;
  readonly chunks: number;
  readonly priority?: number;
  readonly submittedAt: number;
}

/** One chunk of a job: at most a worker's batch of images. */
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

/** A chunk's progress as stored on its BullMQ job: `step` steps of `steps` are done. */
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

/** Event-loop delay of the worker's main thread (the one renewing BullMQ locks) while the chunk ran. */
export interface EventLoopDelay {
  readonly meanMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface ChunkResult {
  readonly jobId: string;
  readonly chunk: number;
  readonly worker: string;
  readonly device: string;
  readonly runtime: RuntimeInfo;
  readonly policy: Policy;
  /** The scheduler class that ran. */
  readonly scheduler: string;
  readonly images: ImageRecord[];
  readonly timings: ChunkTimings;
  /** Whether the worker's pipeline cache already held (model, precision, compile). */
  readonly pipelineCached: boolean;
  readonly eventLoopDelay: EventLoopDelay;
  /** Set when a float16 run produced NaN or black images and was redone in float32. */
  readonly fallback?: string;
}

/** What the parent job returns once every chunk is done and the manifest is written. */
export interface RenderJobResult {
  readonly jobId: string;
  readonly manifestKey: string;
  readonly images: number;
  readonly finishedAt: number;
}

/** `jobs/<id>/manifest.json`: everything needed to reproduce and compare a job. */
export interface JobManifest {
  readonly id: string;
  readonly params: RenderParams;
  readonly submittedAt: number;
  readonly finishedAt: number;
  readonly images: ImageRecord[];
  readonly chunks: ReadonlyArray<Omit<ChunkResult, 'images' | 'jobId'> & { readonly imageIndexes: number[] }>;
  readonly versions: Readonly<Record<string, string>>;
}

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface PolicySupport {
  readonly policy: Policy;
  readonly reason: string;
}

export interface WorkerStatus {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly device: string;
  readonly runtime: RuntimeInfo;
  readonly policies: Policy[];
  /** Policies this worker's runtime refuses, with the runtime's reason. */
  readonly unsupported: PolicySupport[];
  /** Most images it renders in one call (the size the API cuts chunks to). */
  readonly batchSize: number;
  readonly currentJob?: string;
  /** Cache keys `model|precision|compile` of the pipelines it holds. */
  readonly pipelines: string[];
  readonly chunksDone: number;
  readonly lastEventLoopDelay?: EventLoopDelay;
  readonly startedAt: number;
  readonly heartbeatAt: number;
}

/** Server-Sent Events of `GET /v1/jobs/:id/events` (`event:` is the `type`). */
export type JobEvent =
  | { readonly type: 'progress'; readonly jobId: string; readonly chunk: number; readonly step: number; readonly steps: number; readonly stepMs: number; readonly worker: string; readonly done: number; readonly total: number }
  | { readonly type: 'chunk'; readonly jobId: string; readonly chunk: number; readonly worker: string; readonly done: number; readonly total: number }
  | { readonly type: 'end'; readonly jobId: string; readonly status: JobStatus; readonly error?: string };

/** Object keys depend only on the job id and image index, so a retried chunk overwrites its own. */
export const storageKeys = {
  image: (jobId: string, index: number) => `jobs/${jobId}/${index}.png`,
  manifest: (jobId: string) => `jobs/${jobId}/manifest.json`,
};

export const policyKey = (p: Policy) => `${p.precision}/${p.compile}`;
/** The worker's pipeline cache key. */
export const pipelineKey = (model: string, p: Policy) => `${model}|${p.precision}|${p.compile}`;

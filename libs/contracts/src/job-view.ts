import type { Policy, RuntimeInfo } from '../../diffusion/src/runtime/runtime';
import type { ChunkTimings, EventLoopDelay, ImageRecord, JobStatus, RenderParams } from './render-job';

/** `GET /v1/jobs/:id`: a job and its chunks, aggregated. */
export interface JobView {
  readonly id: string;
  readonly status: JobStatus;
  /** Denoising steps done across all chunks, of `total` (chunks × steps). */
  readonly progress: { readonly done: number; readonly total: number; readonly fraction: number; readonly chunksDone: number; readonly chunks: number };
  readonly params: RenderParams;
  readonly policy: Policy;
  readonly submittedAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** Images rendered so far, in job order, each with a presigned URL. */
  readonly images: ReadonlyArray<ImageRecord & { readonly url: string }>;
  readonly chunks: ChunkView[];
  readonly timings?: JobTimings;
  readonly manifestKey?: string;
  readonly manifestUrl?: string;
  /** Why a failed job failed (the first failed chunk's reason). */
  readonly error?: string;
}

export interface ChunkView {
  readonly chunk: number;
  readonly state: string;
  /** Indexes of the job's prompts in this chunk: [first, end). */
  readonly prompts: readonly [number, number];
  readonly step: number;
  readonly steps: number;
  /** Runs started (a retry or a stall takeover starts another). */
  readonly attempts: number;
  readonly worker?: string;
  readonly device?: string;
  readonly runtime?: RuntimeInfo;
  readonly scheduler?: string;
  readonly pipelineCached?: boolean;
  readonly timings?: ChunkTimings;
  readonly eventLoopDelay?: EventLoopDelay;
  readonly fallback?: string;
  readonly error?: string;
}

/** Totals over the finished chunks. */
export interface JobTimings {
  /** From submission to the last chunk's end (or to now). */
  readonly wallMs: number;
  /** Longest queue wait of a chunk. */
  readonly queueWaitMs: number;
  readonly loadMs: number;
  readonly compileMs: number;
  readonly textEncodeMs: number;
  readonly steps: number;
  readonly stepMeanMs: number;
  readonly stepsMs: number;
  readonly decodeMs: number;
  readonly pngEncodeMs: number;
  readonly uploadMs: number;
  /** Sum of the chunks' own durations (workers' busy time). */
  readonly chunksMs: number;
}

/** `POST /v1/jobs` → 201. */
export interface JobAccepted {
  readonly id: string;
  readonly status: JobStatus;
  readonly chunks: number;
  readonly images: number;
}

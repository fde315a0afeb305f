import type { Policy, RuntimeInfo } from '../../diffusion/src/runtime/runtime';
import type { BenchmarkParams } from './benchmark-contract';
import type { ImageDifference } from './image-difference';
import type { ReferenceRun } from './reference';
import type { Spread } from './statistics';

export type BenchmarkStatus = 'queued' | 'running' | 'completed' | 'failed';
/** `lost`: the queue no longer knows the job and no measurement was stored (Redis lost it before it ran). */
export type TargetStatus = BenchmarkStatus | 'lost';

export interface StepStatistics {
  /** Steps timed over all warm runs: runs × steps. */
  readonly count: number;
  /** Steps per run. */
  readonly perRun: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly meanMs: number;
}

/** One policy's line of a report: what a worker recorded, summarized. */
export interface PolicyRow {
  readonly policy: Policy;
  /** `float32/eager` … */
  readonly name: string;
  /** What the experiment called it: standard, mixed precision, XLA, XLA + mixed precision. */
  readonly experimentName: string;
  readonly status: 'measured' | 'unsupported' | 'failed' | 'pending';
  /** Why a policy is not supported or failed. */
  readonly reason?: string;
  /** Load + compile + the first run: what the first request of this kind costs. */
  readonly firstCallMs?: number;
  readonly loadMs?: number;
  /** Preparing graphs before the first run, plus any compiled during the runs (lazily, on a shape's first run). */
  readonly compileMs?: number;
  readonly pipelineCached?: boolean;
  /** Warm-up runs, excluded from every warm figure below. */
  readonly warmupRuns: number;
  /** The timed runs' durations, in the order they ran. */
  readonly warmRunsMs: readonly number[];
  readonly run?: Spread;
  readonly step?: StepStatistics;
  /** Step i's median over the warm runs: the per-step timing line. */
  readonly stepSeriesMs?: readonly number[];
  /** Median over the warm runs. */
  readonly textEncodeMs?: number;
  readonly decodeMs?: number;
  readonly imagesPerSecond?: number;
  /** The baseline's (float32/eager, same worker) median run time over this one's; null without a baseline. */
  readonly speedup?: number | null;
  readonly difference?: ImageDifference;
  /** Images per run that came out NaN or black. */
  readonly degenerateImages?: number;
  readonly scheduler?: string;
}

export interface TargetProgress {
  readonly done: number;
  readonly total: number;
  readonly policy?: string;
  readonly run?: number;
  readonly runs?: number;
}

/** One worker's part of a report, with the hardware and software it ran on. */
export interface WorkerReport {
  /** `any` or a worker id, as queued. */
  readonly target: string;
  readonly status: TargetStatus;
  readonly worker?: string;
  readonly host?: string;
  readonly device?: string;
  readonly runtime?: RuntimeInfo;
  /** The tfjs backend or the ONNX Runtime execution provider (`runtime.backend`). */
  readonly provider?: string;
  readonly versions?: Readonly<Record<string, string>>;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly progress?: TargetProgress;
  readonly error?: string;
  readonly rows: readonly PolicyRow[];
}

/** `GET /v1/benchmarks/:id`. */
export interface BenchmarkReport {
  readonly id: string;
  readonly status: BenchmarkStatus;
  readonly createdAt: number;
  readonly finishedAt?: number;
  readonly params: BenchmarkParams;
  readonly progress: { readonly done: number; readonly total: number; readonly fraction: number };
  readonly workers: readonly WorkerReport[];
  /** The experiment's published figures, for context: not measured here. */
  readonly reference: readonly ReferenceRun[];
}

/** `GET /v1/benchmarks`: one line per benchmark. */
export interface BenchmarkSummary {
  readonly id: string;
  readonly status: BenchmarkStatus;
  readonly createdAt: number;
  readonly finishedAt?: number;
  readonly model: string;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly policies: readonly string[];
  readonly workers: readonly string[];
}

import type { Policy, RuntimeInfo } from '../../diffusion/src/runtime/runtime';
import type { ImageDifference } from './image-difference';

/**
 * The benchmark contract between the API (which queues and reports), the workers (which measure) and
 * the CLI. A benchmark runs its whole policy matrix on one worker, one policy after another, as the
 * experiment did on one GPU; `workers: "all"` queues the same matrix once per live worker.
 */

/** Benchmarks any worker may take (`workers: 1`). */
export const BENCHMARK_QUEUE = 'sdfarm-benchmarks';
export const BENCHMARK_JOB = 'benchmark';
/** The target of a benchmark that any one worker runs. */
export const ANY_WORKER = 'any';

/** A worker id or target as it may appear in queue names, job ids and object keys. */
export const safeName = (name: string) => name.replace(/[^\w.-]/g, '_');

/** The queue only worker `workerId` takes from, for benchmarks pinned to it (BullMQ queue names may not hold ':'). */
export const workerBenchmarkQueue = (workerId: string) => `${BENCHMARK_QUEUE}-worker-${safeName(workerId)}`;

/** BullMQ job id of a benchmark's run on one target. */
export const benchmarkJobId = (benchmarkId: string, target: string) => `${benchmarkId}--${safeName(target)}`;

/** Object keys: everything a report is built from lives in object storage, so reports outlive Redis. */
export const benchmarkKeys = {
  prefix: 'benchmarks/',
  record: (id: string) => `benchmarks/${id}/benchmark.json`,
  measurement: (id: string, target: string) => `benchmarks/${id}/runs/${safeName(target)}.json`,
  measurementsPrefix: (id: string) => `benchmarks/${id}/runs/`,
  chart: (id: string, format: 'svg' | 'png') => `benchmarks/${id}/chart.${format}`,
};

/** Which workers run the matrix: one (any free worker), every live worker, or the named ones. */
export type BenchmarkWorkers = 1 | 'all' | readonly string[];

/** A benchmark request with every default filled in. */
export interface BenchmarkParams {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly model: string;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  /** Images of the prompt per run. */
  readonly batchSize: number;
  readonly guidanceScale: number;
  /** Every policy renders from the same seeds, so their images can be compared. */
  readonly seed: number;
  /** A diffusers scheduler class name (default DDIMScheduler, the sampler of the experiment). */
  readonly scheduler: string;
  readonly policies: readonly Policy[];
  /** Runs per policy before the timed ones; excluded from the warm figures. */
  readonly warmupRuns: number;
  readonly runs: number;
  readonly workers: BenchmarkWorkers;
}

/** `benchmarks/<id>/benchmark.json`: written when the benchmark is accepted. */
export interface BenchmarkRecord {
  readonly id: string;
  readonly params: BenchmarkParams;
  readonly createdAt: number;
  /** `any`, or the worker ids the matrix was pinned to. */
  readonly targets: readonly string[];
}

/** A benchmark job's data: one target's run of the matrix. */
export interface BenchmarkJobData {
  readonly benchmarkId: string;
  readonly target: string;
  readonly params: BenchmarkParams;
  readonly createdAt: number;
}

/** A benchmark job's progress: denoising steps done over the whole matrix. */
export interface BenchmarkProgress {
  readonly done: number;
  readonly total: number;
  readonly worker: string;
  /** The policy being measured, e.g. `mixed_float16/eager`. */
  readonly policy?: string;
  /** 1-based, warm-up runs first. */
  readonly run?: number;
  readonly runs?: number;
  readonly stepMs?: number;
}

/** One render of the matrix, as the worker timed it (the pipeline's own timings). */
export interface RecordedRun {
  readonly warmup: boolean;
  /** Graphs compiled during this run (a runtime that compiles lazily, on the first run of a shape). */
  readonly compileMs: number;
  readonly textEncodeMs: number;
  readonly stepsMs: readonly number[];
  readonly decodeMs: number;
  /** The whole render call: text encode, every step, decode, and any compile in between. */
  readonly totalMs: number;
}

export type PolicyMeasurement =
  | {
      readonly policy: Policy;
      readonly status: 'measured';
      /** Reading weights before the first run (0 when the pipeline was already loaded). */
      readonly loadMs: number;
      /** Preparing/compiling graphs before the first run (0 when already loaded); compiles during runs are in each run. */
      readonly compileMs: number;
      readonly pipelineCached: boolean;
      /** Images per run. */
      readonly images: number;
      readonly scheduler: string;
      /** Warm-up runs first, in the order they ran. */
      readonly runs: readonly RecordedRun[];
      /** Images of a run that came out NaN or all black (float16 overflow); kept, not re-rendered, so the cost shows. */
      readonly degenerateImages?: number;
      /** Against the baseline policy's images from the same seeds (absent for the baseline itself or without one). */
      readonly difference?: ImageDifference;
    }
  | { readonly policy: Policy; readonly status: 'unsupported'; readonly reason: string }
  | { readonly policy: Policy; readonly status: 'failed'; readonly reason: string };

/** `benchmarks/<id>/runs/<target>.json`: what one worker measured. */
export interface WorkerMeasurement {
  readonly benchmarkId: string;
  readonly target: string;
  readonly worker: string;
  readonly host: string;
  /** The worker's device label (`WORKER_DEVICE`, e.g. `cuda:0`). */
  readonly device: string;
  /** The runtime, its backend or execution provider, the device it reports and its version. */
  readonly runtime: RuntimeInfo;
  readonly versions: Readonly<Record<string, string>>;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly policies: readonly PolicyMeasurement[];
}

/** The policy every other is compared with: speed-up and image difference. */
export const BASELINE_POLICY: Policy = { precision: 'float32', compile: 'eager' };

/** The experiment's matrix: float32, mixed precision, compiled (XLA there), both. */
export const DEFAULT_POLICIES: readonly Policy[] = [
  { precision: 'float32', compile: 'eager' },
  { precision: 'mixed_float16', compile: 'eager' },
  { precision: 'float32', compile: 'jit' },
  { precision: 'mixed_float16', compile: 'jit' },
];

export const policyName = (p: Policy) => `${p.precision}/${p.compile}`;

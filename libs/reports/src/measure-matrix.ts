import type { RenderOptions, RenderTimings, StepProgress } from '../../diffusion/src/pipeline/types';
import type { Policy } from '../../diffusion/src/runtime/runtime';
import { BASELINE_POLICY, policyName, type BenchmarkParams, type PolicyMeasurement, type RecordedRun } from './benchmark-contract';
import { imageDifference, type RgbImage } from './image-difference';

/** One render of the matrix, whatever ran it (a worker's render thread, or the CLI in-process). */
export interface MatrixRender {
  readonly images: readonly RgbImage[];
  readonly timings: RenderTimings;
  /** How the pipeline was obtained for this render: loaded now (with its times) or already held. */
  readonly load: { readonly cached: boolean; readonly loadMs: number; readonly prepareMs: number };
  readonly scheduler: string;
  /** Images that came out NaN or all black (a float16 overflow symptom). */
  readonly degenerateImages?: number;
}

export interface MatrixRenderer {
  /** Why the runtime cannot run the policy, or undefined when it can. */
  unsupportedReason(policy: Policy): string | undefined;
  render(policy: Policy, options: Omit<RenderOptions, 'latents'>, onStep: (progress: StepProgress) => void): Promise<MatrixRender>;
  /** After a policy's last run: the renderer may free that pipeline. */
  release?(policy: Policy): Promise<void> | void;
}

export interface MatrixProgress {
  /** Denoising steps done over the whole matrix, of `total`. */
  readonly done: number;
  readonly total: number;
  readonly policy: string;
  /** 1-based; warm-up runs come first. */
  readonly run: number;
  readonly runs: number;
  readonly stepMs: number;
}

export interface MatrixHooks {
  onProgress?(progress: MatrixProgress): void;
  /**
   * Whether an error of `render` is the policy's own failure (recorded in its row, the matrix goes on)
   * rather than the worker's (rethrown). Default: every error is the policy's.
   */
  isPolicyFailure?(error: unknown): boolean;
}

/** The options every run renders with: the same prompt, size and seeds for every policy. */
export function renderOptionsOf(params: BenchmarkParams): Omit<RenderOptions, 'latents'> {
  return {
    prompts: [params.prompt],
    negativePrompt: params.negativePrompt,
    steps: params.steps,
    guidanceScale: params.guidanceScale,
    width: params.width,
    height: params.height,
    batchSize: params.batchSize,
    seed: params.seed,
    scheduler: params.scheduler,
  };
}

/**
 * Runs every policy of the matrix one after another on one renderer: warm-up runs, then timed runs,
 * each recorded as the pipeline timed it. The last run's images of each policy are compared with the
 * baseline policy's (float32/eager) from the same seeds.
 */
export async function measureMatrix(params: BenchmarkParams, renderer: MatrixRenderer, hooks: MatrixHooks = {}): Promise<PolicyMeasurement[]> {
  const options = renderOptionsOf(params);
  const runs = params.warmupRuns + params.runs;
  const supported = params.policies.filter((p) => renderer.unsupportedReason(p) === undefined);
  // Some schedulers evaluate the UNet more often than the steps asked for (PNDM: one more): the first
  // step's report says how many a run has.
  let stepsPerRun = params.steps;
  let total = supported.length * runs * stepsPerRun;
  let done = 0;
  const measurements: PolicyMeasurement[] = [];
  const lastImages = new Map<string, readonly RgbImage[]>();

  for (const policy of params.policies) {
    const reason = renderer.unsupportedReason(policy);
    if (reason !== undefined) {
      measurements.push({ policy, status: 'unsupported', reason });
      continue;
    }
    const name = policyName(policy);
    const recorded: RecordedRun[] = [];
    let first: MatrixRender | undefined;
    let last: MatrixRender | undefined;
    let degenerateImages = 0;
    const stepsBefore = done;
    try {
      for (let run = 0; run < runs; run++) {
        const rendered = await renderer.render(policy, options, (p) => {
          if (p.steps !== stepsPerRun) {
            stepsPerRun = p.steps;
            total = supported.length * runs * stepsPerRun;
          }
          done++;
          hooks.onProgress?.({ done, total, policy: name, run: run + 1, runs, stepMs: p.ms });
        });
        first ??= rendered;
        last = rendered;
        degenerateImages = Math.max(degenerateImages, rendered.degenerateImages ?? 0);
        const t = rendered.timings;
        recorded.push({ warmup: run < params.warmupRuns, compileMs: t.compileMs, textEncodeMs: t.textEncodeMs, stepsMs: [...t.stepsMs], decodeMs: t.decodeMs, totalMs: t.totalMs });
      }
    } catch (error) {
      if (!(hooks.isPolicyFailure?.(error) ?? true)) throw error;
      done = stepsBefore + runs * stepsPerRun;
      measurements.push({ policy, status: 'failed', reason: error instanceof Error ? error.message : String(error) });
      continue;
    } finally {
      await renderer.release?.(policy);
    }
    lastImages.set(name, last!.images);
    measurements.push({
      policy,
      status: 'measured',
      loadMs: first!.load.loadMs,
      compileMs: first!.load.prepareMs,
      pipelineCached: first!.load.cached,
      images: last!.images.length,
      scheduler: last!.scheduler,
      runs: recorded,
      ...(degenerateImages > 0 ? { degenerateImages } : {}),
    });
  }

  const baseline = lastImages.get(policyName(BASELINE_POLICY));
  if (!baseline) return measurements;
  return measurements.map((m) =>
    m.status === 'measured' && policyName(m.policy) !== policyName(BASELINE_POLICY)
      ? { ...m, difference: imageDifference(lastImages.get(policyName(m.policy))!, baseline, policyName(BASELINE_POLICY)) }
      : m,
  );
}

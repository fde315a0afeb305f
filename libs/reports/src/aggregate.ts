import { BASELINE_POLICY, policyName, type BenchmarkParams, type BenchmarkProgress, type BenchmarkRecord, type PolicyMeasurement, type WorkerMeasurement } from './benchmark-contract';
import { experimentName, REFERENCE_RUNS } from './reference';
import type { BenchmarkReport, BenchmarkStatus, PolicyRow, TargetStatus, WorkerReport } from './report-types';
import { mean, median, percentile, spread } from './statistics';

/** What is known of one target of a benchmark: its measurement once stored, else the queue's view. */
export interface TargetState {
  readonly target: string;
  readonly status: TargetStatus;
  readonly measurement?: WorkerMeasurement;
  readonly progress?: BenchmarkProgress;
  readonly error?: string;
}

/** One policy's recorded runs turned into the report's figures; warm-up runs count only in the first call. */
export function summarizePolicy(m: PolicyMeasurement): PolicyRow {
  const base = { policy: m.policy, name: policyName(m.policy), experimentName: experimentName(m.policy) };
  if (m.status !== 'measured') return { ...base, status: m.status, reason: m.reason, warmupRuns: 0, warmRunsMs: [] };
  const warm = m.runs.filter((r) => !r.warmup);
  const warmupRuns = m.runs.length - warm.length;
  const first = m.runs[0];
  const row: PolicyRow = {
    ...base,
    status: 'measured',
    ...(first ? { firstCallMs: m.loadMs + m.compileMs + first.totalMs } : {}),
    loadMs: m.loadMs,
    compileMs: m.compileMs + m.runs.reduce((sum, r) => sum + r.compileMs, 0),
    pipelineCached: m.pipelineCached,
    warmupRuns,
    warmRunsMs: warm.map((r) => r.totalMs),
    scheduler: m.scheduler,
    ...(m.difference ? { difference: m.difference } : {}),
    ...(m.degenerateImages ? { degenerateImages: m.degenerateImages } : {}),
  };
  if (warm.length === 0) return row;
  const run = spread(warm.map((r) => r.totalMs));
  const steps = warm.flatMap((r) => r.stepsMs);
  return {
    ...row,
    run,
    ...(steps.length > 0
      ? { step: { count: steps.length, perRun: Math.max(...warm.map((r) => r.stepsMs.length)), medianMs: median(steps), p95Ms: percentile(steps, 95), meanMs: mean(steps) } }
      : {}),
    stepSeriesMs: stepSeries(warm.map((r) => r.stepsMs)),
    textEncodeMs: median(warm.map((r) => r.textEncodeMs)),
    decodeMs: median(warm.map((r) => r.decodeMs)),
    imagesPerSecond: run.medianMs > 0 ? m.images / (run.medianMs / 1000) : 0,
  };
}

/** Step i's median over the runs that have a step i. */
export function stepSeries(runs: ReadonlyArray<readonly number[]>): number[] {
  const length = Math.max(0, ...runs.map((r) => r.length));
  return Array.from({ length }, (_, i) => median(runs.filter((r) => i < r.length).map((r) => r[i]!)));
}

/**
 * The rows of one worker, in the order the policies were asked for. Speed-up compares medians with
 * the baseline policy measured on the same worker (the same GPU), never across workers.
 */
export function policyRows(params: BenchmarkParams, measurement: WorkerMeasurement | undefined): PolicyRow[] {
  const rows = params.policies.map((policy): PolicyRow => {
    const found = measurement?.policies.find((p) => policyName(p.policy) === policyName(policy));
    if (found) return summarizePolicy(found);
    return { policy, name: policyName(policy), experimentName: experimentName(policy), status: 'pending', warmupRuns: 0, warmRunsMs: [] };
  });
  const baseline = rows.find((r) => r.name === policyName(BASELINE_POLICY) && r.run);
  return rows.map((r) => (r.run ? { ...r, speedup: baseline?.run ? baseline.run.medianMs / r.run.medianMs : null } : r));
}

/** Steps one target renders: every policy's warm-up and timed runs (the estimate before a worker reports its own). */
export function plannedSteps(params: BenchmarkParams): number {
  return params.policies.length * (params.warmupRuns + params.runs) * params.steps;
}

export function workerReport(params: BenchmarkParams, state: TargetState): WorkerReport {
  const m = state.measurement;
  const planned = plannedSteps(params);
  const progress =
    state.status === 'completed'
      ? { done: state.progress?.total ?? planned, total: state.progress?.total ?? planned }
      : state.progress
        ? {
            done: state.progress.done,
            total: state.progress.total,
            ...(state.progress.policy ? { policy: state.progress.policy } : {}),
            ...(state.progress.run !== undefined ? { run: state.progress.run } : {}),
            ...(state.progress.runs !== undefined ? { runs: state.progress.runs } : {}),
          }
        : { done: 0, total: planned };
  return {
    target: state.target,
    status: state.status,
    ...(m
      ? { worker: m.worker, host: m.host, device: m.device, runtime: m.runtime, provider: m.runtime.backend, versions: m.versions, startedAt: m.startedAt, finishedAt: m.finishedAt }
      : state.progress
        ? { worker: state.progress.worker }
        : {}),
    progress,
    ...(state.error ? { error: state.error } : {}),
    rows: policyRows(params, m),
  };
}

function overallStatus(states: readonly TargetStatus[]): BenchmarkStatus {
  if (states.every((s) => s === 'completed')) return 'completed';
  if (states.every((s) => s === 'completed' || s === 'failed' || s === 'lost')) return 'failed';
  if (states.some((s) => s !== 'queued')) return 'running';
  return 'queued';
}

/** The whole report: every target's rows, the overall status and progress, and the reference figures. */
export function buildReport(record: BenchmarkRecord, states: readonly TargetState[]): BenchmarkReport {
  const byTarget = new Map(states.map((s) => [s.target, s]));
  const workers = record.targets.map((target) => workerReport(record.params, byTarget.get(target) ?? { target, status: 'queued' }));
  const status = overallStatus(workers.map((w) => w.status));
  const done = workers.reduce((n, w) => n + (w.progress?.done ?? 0), 0);
  const total = workers.reduce((n, w) => n + (w.progress?.total ?? 0), 0);
  const ended = workers.map((w) => w.finishedAt).filter((t): t is number => t !== undefined);
  return {
    id: record.id,
    status,
    createdAt: record.createdAt,
    ...((status === 'completed' || status === 'failed') && ended.length > 0 ? { finishedAt: Math.max(...ended) } : {}),
    params: record.params,
    progress: { done, total, fraction: total > 0 ? done / total : 0 },
    workers,
    reference: REFERENCE_RUNS,
  };
}

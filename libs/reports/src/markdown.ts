import type { ImageDifference } from './image-difference';
import { REFERENCE_RUNS, type ReferenceRun } from './reference';
import type { BenchmarkReport, PolicyRow, WorkerReport } from './report-types';
import { policyName, BASELINE_POLICY } from './benchmark-contract';

const DASH = '—';
const seconds = (ms: number | undefined) => (ms === undefined ? DASH : `${(ms / 1000).toFixed(2)} s`);
const millis = (ms: number | undefined) => (ms === undefined ? DASH : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
/** A table cell: pipes and line breaks would end it. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

const HEADER = [
  'Source',
  'Policy',
  'First call',
  'Warm run (median)',
  'Spread (min–max)',
  'Step median / p95',
  'Text encode',
  'Decode',
  'Images/s',
  'Speed-up',
  'Difference vs float32 (max / mean per R,G,B; PSNR)',
  'Notes',
];

function difference(d: ImageDifference | undefined, row: PolicyRow): string {
  if (d) {
    const psnr = d.psnrDb === null ? '∞ (identical)' : `${d.psnrDb.toFixed(1)} dB`;
    return `max ${d.maxAbs.join('/')}; mean ${d.meanAbs.map((v) => v.toFixed(2)).join('/')}; PSNR ${psnr}`;
  }
  return row.name === policyName(BASELINE_POLICY) && row.status === 'measured' ? 'baseline' : DASH;
}

function source(w: WorkerReport): string {
  const who = w.worker ?? w.target;
  const where = [w.device, w.runtime ? `${w.runtime.runtime} ${w.runtime.version}/${w.runtime.backend}` : undefined].filter(Boolean).join(', ');
  return where ? `${who} (${where})` : who;
}

function measuredRow(w: WorkerReport, row: PolicyRow): string[] {
  const label = `${row.name} (${row.experimentName})`;
  if (row.status === 'unsupported' || row.status === 'failed' || row.status === 'pending') {
    const status = { unsupported: 'not supported', failed: 'failed', pending: w.status === 'failed' || w.status === 'lost' ? 'not run' : 'pending' }[row.status];
    const notes = row.reason ?? (w.error && row.status === 'pending' ? w.error : '');
    return [source(w), label, DASH, status, DASH, DASH, DASH, DASH, DASH, DASH, DASH, notes];
  }
  const notes = [
    row.warmupRuns > 0 ? `${row.warmupRuns} warm-up run(s) excluded` : 'no warm-up run',
    row.pipelineCached ? 'pipeline was already loaded: first call has no load/compile' : '',
    row.degenerateImages ? `${row.degenerateImages} image(s) per run came out NaN or black` : '',
  ].filter(Boolean).join('; ');
  return [
    source(w),
    label,
    seconds(row.firstCallMs),
    `${seconds(row.run?.medianMs)} (n=${row.run?.count ?? 0})`,
    row.run ? `${seconds(row.run.minMs)}–${seconds(row.run.maxMs)}` : DASH,
    row.step ? `${millis(row.step.medianMs)} / ${millis(row.step.p95Ms)} (${row.step.count} steps)` : DASH,
    millis(row.textEncodeMs),
    millis(row.decodeMs),
    row.imagesPerSecond === undefined ? DASH : row.imagesPerSecond.toFixed(2),
    row.speedup === undefined || row.speedup === null ? DASH : `${row.speedup.toFixed(2)}×`,
    difference(row.difference, row),
    notes,
  ];
}

function referenceRow(r: ReferenceRun, baseline: ReferenceRun | undefined): string[] {
  return [
    `reference: ${r.source}, ${r.hardware}`,
    `${policyName(r.policy)} (${r.experimentName})`,
    DASH,
    `${r.seconds.toFixed(2)} s`,
    DASH,
    DASH,
    DASH,
    DASH,
    (r.images / r.seconds).toFixed(2),
    baseline ? `${(baseline.seconds / r.seconds).toFixed(2)}×` : DASH,
    DASH,
    `published figure, not measured here (${r.images} images, ${r.width}×${r.height}, ${r.steps} steps)`,
  ];
}

const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;

export interface ReportTable {
  readonly header: readonly string[];
  /** One row per worker and policy. */
  readonly measured: ReadonlyArray<readonly string[]>;
  /** The experiment's published figures, labelled as reference. */
  readonly reference: ReadonlyArray<readonly string[]>;
}

/** The report's table as plain cells (Markdown here, HTML in the gallery). */
export function reportTable(report: BenchmarkReport): ReportTable {
  const baselineOf = (r: ReferenceRun) =>
    REFERENCE_RUNS.find((b) => b.source === r.source && b.hardware === r.hardware && policyName(b.policy) === policyName(BASELINE_POLICY));
  return {
    header: HEADER,
    measured: report.workers.flatMap((w) => w.rows.map((row) => measuredRow(w, row))),
    reference: REFERENCE_RUNS.map((r) => referenceRow(r, baselineOf(r))),
  };
}

/** One line per worker: the hardware and software its figures come from. */
export function hardwareLines(report: BenchmarkReport): string[] {
  return report.workers
    .filter((w) => w.runtime)
    .map((w) => `${w.worker} on ${w.host}: device ${w.device}, ${w.runtime!.runtime} ${w.runtime!.version} (${w.runtime!.backend}, ${w.runtime!.device}); ${Object.entries(w.versions ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

/** A one-line description of what was measured. */
export function workloadLine(report: BenchmarkReport): string {
  const p = report.params;
  return `${p.model}: ${p.batchSize} image(s) of "${p.prompt}" at ${p.width}×${p.height}, ${p.steps} step(s) (${p.scheduler}), seed ${p.seed}; ` +
    `${p.warmupRuns} warm-up + ${p.runs} timed run(s) per policy, every policy on the same worker, one after another.`;
}

export const REFERENCE_NOTE = 'Rows labelled "reference" are the experiment\'s published figures, for context; they were not measured here.';

/** The report as a Markdown table shaped like the experiment's, one row per policy, reference rows beneath. */
export function reportMarkdown(report: BenchmarkReport): string {
  const table = reportTable(report);
  const lines = [line(table.header), line(table.header.map(() => '---')), ...table.measured.map(line), ...table.reference.map(line)].join('\n');
  const hardware = hardwareLines(report).map((l) => `- ${l}`).join('\n');
  return `## sdfarm benchmark ${report.id} (${report.status})\n\n${workloadLine(report)}\n\n${lines}\n\n${REFERENCE_NOTE}\n${hardware ? `\n${hardware}\n` : ''}`;
}

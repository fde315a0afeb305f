import sharp from 'sharp';
import type { TopLevelSpec } from 'vega-lite';
import type { BenchmarkReport } from './report-types';

const WIDTH = 560;
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const seconds = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

interface BarDatum {
  readonly policy: string;
  readonly worker: string;
  readonly medianS: number;
  readonly minS: number;
  readonly maxS: number;
  readonly label: string;
}

interface StepDatum {
  readonly series: string;
  readonly step: number;
  readonly ms: number;
}

export interface StepSeries {
  readonly label: string;
  readonly stepsMs: readonly number[];
}

function stepLayer(title: string, data: StepDatum[]) {
  return {
    width: WIDTH,
    height: 200,
    title,
    data: { values: data },
    mark: { type: 'line' as const, point: true, tooltip: true },
    encoding: {
      x: { field: 'step', type: 'quantitative' as const, title: 'step', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'ms', type: 'quantitative' as const, title: 'ms per step' },
      color: { field: 'series', type: 'nominal' as const, title: null },
    },
  };
}

/** Bars of the warm run time per policy (median, with a min–max rule) and the per-step timing line. */
export function benchmarkChartSpec(report: BenchmarkReport): TopLevelSpec {
  const several = report.workers.length > 1;
  const bars: BarDatum[] = [];
  const steps: StepDatum[] = [];
  for (const w of report.workers) {
    const worker = w.worker ?? w.target;
    for (const row of w.rows) {
      if (row.run) {
        bars.push({ policy: row.name, worker, medianS: row.run.medianMs / 1000, minS: row.run.minMs / 1000, maxS: row.run.maxMs / 1000, label: seconds(row.run.medianMs) });
      } else {
        const label = { unsupported: 'not supported', failed: 'failed', pending: 'pending', measured: 'no warm run' }[row.status];
        bars.push({ policy: row.name, worker, medianS: 0, minS: 0, maxS: 0, label });
      }
      (row.stepSeriesMs ?? []).forEach((ms, i) => steps.push({ series: several ? `${row.name} · ${worker}` : row.name, step: i + 1, ms }));
    }
  }
  const x = { field: 'policy', type: 'nominal' as const, sort: report.params.policies.map((p) => `${p.precision}/${p.compile}`), title: null, axis: { labelAngle: 0 } };
  const xOffset = { field: 'worker', type: 'nominal' as const };
  const p = report.params;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `sdfarm benchmark ${report.id}`, subtitle: `${p.model}: ${p.batchSize} image(s) at ${p.width}×${p.height}, ${p.steps} step(s); ${p.runs} timed run(s) per policy after ${p.warmupRuns} warm-up run(s)` },
    config: { font: FONT, view: { stroke: null }, background: 'white' },
    // Bars are coloured by worker, lines by policy: two colour scales, each with its own legend.
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    vconcat: [
      {
        width: WIDTH,
        height: 220,
        title: 'Warm run time per policy (median; line: min–max)',
        data: { values: bars },
        encoding: { x, xOffset },
        layer: [
          { mark: { type: 'bar', tooltip: true }, encoding: { y: { field: 'medianS', type: 'quantitative', title: 'seconds per run' }, color: { field: 'worker', type: 'nominal', title: 'worker', legend: several ? {} : null } } },
          { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y: { field: 'minS', type: 'quantitative' }, y2: { field: 'maxS' } } },
          { mark: { type: 'text', dy: -8 }, encoding: { y: { field: 'maxS', type: 'quantitative' }, text: { field: 'label' } } },
        ],
      },
      stepLayer('Time per denoising step (median over the warm runs)', steps),
    ],
  } as TopLevelSpec;
}

/** A job's per-step line: one series per chunk (or per worker), as the manifest recorded them. */
export function stepChartSpec(title: string, series: readonly StepSeries[]): TopLevelSpec {
  const data = series.flatMap((s) => s.stepsMs.map((ms, i) => ({ series: s.label, step: i + 1, ms })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: { font: FONT, view: { stroke: null }, background: 'white' },
    ...stepLayer(title, data),
  } as TopLevelSpec;
}

/** Renders a Vega-Lite spec to SVG in this process (no browser): vega's headless SVG renderer. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterizes an SVG with sharp (librsvg) at `scale` × its size. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
}

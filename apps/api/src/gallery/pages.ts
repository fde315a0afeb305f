import type { JobManifest } from '../../../../libs/contracts/src/render-job';
import { hardwareLines, REFERENCE_NOTE, reportTable, workloadLine } from '../../../../libs/reports/src/markdown';
import type { BenchmarkReport, BenchmarkSummary } from '../../../../libs/reports/src/report-types';
import { html, page, type Html } from './html';
import type { RecentJob } from './recent-jobs';

const when = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));
const jobUrl = (id: string) => `/gallery/jobs/${encodeURIComponent(id)}`;
const imageUrl = (id: string, index: number) => `${jobUrl(id)}/images/${index}.png`;
const thumbUrl = (id: string, index: number) => `${jobUrl(id)}/images/${index}/thumb.webp`;
const benchmarkUrl = (id: string) => `/gallery/benchmarks/${encodeURIComponent(id)}`;
export const benchmarkChartUrl = (id: string) => `${benchmarkUrl(id)}/chart.png`;

function jobCard(job: RecentJob): Html {
  const done = job.state === 'completed';
  return html`<li class="job" data-job-id="${job.id}" data-state="${job.state}">
  <a href="${jobUrl(job.id)}">${done
    ? html`<img class="thumb" src="${thumbUrl(job.id, 0)}" alt="${job.prompt}" loading="lazy">`
    : html`<div class="thumb muted" style="width:184px;height:184px;display:flex;align-items:center;justify-content:center;background:#eef0f3">${job.state}</div>`}</a>
  <div title="${job.prompt}">${job.prompt.length > 80 ? `${job.prompt.slice(0, 80)}…` : job.prompt}</div>
  <div class="muted">${job.images} image(s) · ${job.width}×${job.height} · ${job.steps} steps · ${job.policy}</div>
  <div class="muted"><span class="status">${job.state}</span> ${when(job.finishedAt ?? job.submittedAt)}</div>
</li>`;
}

function benchmarkCard(b: BenchmarkSummary, withChart: boolean): Html {
  return html`<section class="benchmark" data-benchmark-id="${b.id}" data-status="${b.status}">
  <a href="${benchmarkUrl(b.id)}">${b.id}</a> <span class="status">${b.status}</span>
  <span class="muted">${b.model}, ${b.batchSize} image(s) at ${b.width}×${b.height}, ${b.steps} steps; ${b.policies.join(', ')}; on ${b.workers.join(', ')}; ${when(b.createdAt)}</span>
  ${withChart ? html`<a href="${benchmarkUrl(b.id)}"><img class="chart" src="${benchmarkChartUrl(b.id)}" alt="chart of benchmark ${b.id}" loading="lazy"></a>` : ''}
</section>`;
}

export function indexPage(jobs: readonly RecentJob[], benchmarks: readonly BenchmarkSummary[]): string {
  return page(
    'sdfarm',
    html`<p class="muted">Recent jobs and benchmark reports. The queues themselves: <a href="/queues">the dashboard</a>.</p>
<h2>Recent jobs</h2>
${jobs.length ? html`<ul class="jobs">${jobs.map(jobCard)}</ul>` : html`<p class="muted" id="no-jobs">No jobs yet: POST /v1/jobs, or run <code>npx sdfarm demo</code>.</p>`}
<h2>Benchmarks</h2>
${benchmarks.length ? benchmarks.map((b, i) => benchmarkCard(b, i < 3)) : html`<p class="muted" id="no-benchmarks">No benchmarks yet: POST /v1/benchmarks, or run <code>npx sdfarm bench</code>.</p>`}`,
  );
}

const ms = (v: number) => `${v.toFixed(0)} ms`;

export function jobPage(id: string, job: RecentJob | undefined, manifest: JobManifest | undefined): string {
  const params = manifest?.params;
  const prompt = params?.prompts[0] ?? job?.prompt ?? '';
  const rows = (manifest?.chunks ?? []).map((c, i) => html`<tr><td>${i}</td><td>${c.worker}</td><td>${c.device}</td><td>${c.runtime.runtime} ${c.runtime.version}/${c.runtime.backend}</td>
<td>${c.policy.precision}/${c.policy.compile}</td><td>${ms(c.timings.loadMs)} + ${ms(c.timings.compileMs)}${c.pipelineCached ? ' (cached)' : ''}</td><td>${ms(c.timings.textEncodeMs)}</td>
<td>${c.timings.stepsMs.length} × ${ms(c.timings.stepsMs.reduce((a, b) => a + b, 0) / Math.max(1, c.timings.stepsMs.length))}</td><td>${ms(c.timings.decodeMs)}</td><td>${ms(c.timings.pngEncodeMs)} / ${ms(c.timings.uploadMs)}</td><td>${ms(c.timings.totalMs)}</td></tr>`);
  return page(
    `sdfarm job ${id}`,
    html`<h2>Job <code>${id}</code> <span class="status" id="job-status">${manifest ? 'completed' : job?.state ?? 'unknown'}</span></h2>
<p>${prompt}${params && params.prompts.length > 1 ? html` <span class="muted">(+${params.prompts.length - 1} more prompts)</span>` : ''}</p>
${params ? html`<p class="muted">${params.model}, ${params.width}×${params.height}, ${params.steps} steps, guidance ${params.guidanceScale}, seed ${params.seed}, ${params.precision}/${params.compile}</p>` : ''}
${job?.error ? html`<p class="status">error: ${job.error}</p>` : ''}
${manifest
  ? html`<div class="images">${manifest.images.map((img) => html`<figure><a href="${imageUrl(id, img.index)}"><img class="image" src="${imageUrl(id, img.index)}" alt="${img.prompt}"></a><figcaption>#${img.index} · seed ${img.seed}</figcaption></figure>`)}</div>
<h2>Per-step timing</h2><img class="chart" id="step-chart" src="${jobUrl(id)}/steps.svg" alt="time per denoising step of job ${id}">
<h2>Chunks</h2><table><tr><th>chunk</th><th>worker</th><th>device</th><th>runtime</th><th>policy</th><th>load + compile</th><th>text encode</th><th>steps</th><th>decode</th><th>PNG / upload</th><th>total</th></tr>${rows}</table>`
  : html`<p class="muted">No images yet: the job has not completed (<a href="/v1/jobs/${id}">status as JSON</a>).</p>`}`,
  );
}

export function benchmarkPage(report: BenchmarkReport): string {
  const table = reportTable(report);
  const row = (cells: readonly string[], cls?: string) => html`<tr${cls ? html` class="${cls}"` : ''}>${cells.map((c) => html`<td>${c}</td>`)}</tr>`;
  return page(
    `sdfarm benchmark ${report.id}`,
    html`<h2>Benchmark <code>${report.id}</code> <span class="status" id="benchmark-status">${report.status}</span>
<span class="muted">${Math.round(report.progress.fraction * 100)}%</span></h2>
<p>${workloadLine(report)}</p>
<p><a href="/v1/benchmarks/${report.id}/report.md">Markdown</a> · <a href="/v1/benchmarks/${report.id}">JSON</a> · <a href="/v1/benchmarks/${report.id}/chart.svg">SVG chart</a></p>
<img class="chart" id="benchmark-chart" src="${benchmarkChartUrl(report.id)}" alt="chart of benchmark ${report.id}">
<h2>Results</h2>
<table id="report-table"><tr>${table.header.map((h) => html`<th>${h}</th>`)}</tr>${table.measured.map((r) => row(r))}${table.reference.map((r) => row(r, 'reference'))}</table>
<p class="muted">${REFERENCE_NOTE}</p>
<ul>${hardwareLines(report).map((l) => html`<li>${l}</li>`)}</ul>
${report.workers.filter((w) => w.error).map((w) => html`<p class="status">${w.target}: ${w.error}</p>`)}`,
  );
}

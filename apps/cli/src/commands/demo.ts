import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import type { JobView } from '../../../../libs/contracts/src/job-view';
import { SEED_PROMPT } from '../../../../libs/contracts/src/render-request';
import { FarmClient } from '../../../../libs/embedded/src/farm-client';
import { createProgress, stepDetail } from '../progress';
import { DEFAULT_DATA_DIR, describeFarm, positiveInt, startFarmFromEnv } from './up';

interface DemoOptions {
  prompt: string;
  batchSize: number;
  steps: number;
  out?: string;
}

const ms = (v: number) => `${v.toFixed(0)} ms`;

/** The job's images copied out of storage (`<out>/<i>.png`) and its manifest. */
async function saveImages(job: JobView, out: string): Promise<string[]> {
  await mkdir(out, { recursive: true });
  const files: string[] = [];
  for (const image of job.images) {
    const file = join(out, `${image.index}.png`);
    await writeFile(file, Buffer.from(await (await fetch(image.url)).arrayBuffer()));
    files.push(file);
  }
  if (job.manifestUrl) await writeFile(join(out, 'manifest.json'), Buffer.from(await (await fetch(job.manifestUrl)).arrayBuffer()));
  return files;
}

export function timingLines(job: JobView): string[] {
  const t = job.timings;
  if (!t) return [];
  const chunks = job.chunks.filter((c) => c.timings);
  const delay = Math.max(...chunks.map((c) => c.eventLoopDelay?.maxMs ?? 0));
  return [
    `  wall time      ${ms(t.wallMs)} (submission to last image)`,
    `  queue wait     ${ms(t.queueWaitMs)}`,
    `  model load     ${ms(t.loadMs)} + compile ${ms(t.compileMs)}${chunks.every((c) => c.pipelineCached) ? ' (pipeline was cached)' : ''}`,
    `  text encode    ${ms(t.textEncodeMs)}`,
    `  denoising      ${t.steps} steps, ${ms(t.stepsMs)} (${ms(t.stepMeanMs)} per step)`,
    `  VAE decode     ${ms(t.decodeMs)}`,
    `  PNG encode     ${ms(t.pngEncodeMs)}, upload ${ms(t.uploadMs)}`,
    `  ran on         ${[...new Set(chunks.map((c) => `${c.worker} (${c.runtime?.runtime}/${c.runtime?.backend}, ${c.device})`))].join(', ')}`,
    `  worker event-loop delay during the render: max ${ms(delay)} (the render runs in its own thread)`,
  ];
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description("Start the farm, render the seed prompt through the API with a progress bar, show where the images are and how long each part took, then stop")
    .option('--prompt <text>', 'what to render', SEED_PROMPT)
    .option('--batch-size <n>', 'images of the prompt', positiveInt('--batch-size'), 3)
    .option('--steps <n>', 'denoising steps', positiveInt('--steps'), 25)
    .option('--out <dir>', 'where to copy the images (default: <SDFARM_DATA>/demo/<job id>)')
    .action(async (o: DemoOptions) => {
      console.log('starting the farm (Redis, S3 storage, API, one worker)…');
      const farm = await startFarmFromEnv({ port: process.env.PORT ? Number(process.env.PORT) : 0, workers: 1, quiet: true });
      try {
        for (const line of describeFarm(farm)) console.log(line);
        const client = new FarmClient(farm.apiUrl, farm.apiKey);
        const accepted = await client.submit({ prompts: [o.prompt], batchSize: o.batchSize, steps: o.steps });
        console.log(`\njob ${accepted.id}: "${o.prompt}", ${accepted.images} images, ${o.steps} steps`);
        const bar = createProgress('rendering');
        const end = await client.follow(accepted.id, (e) => {
          if (e.type === 'progress') bar.update(e.done, e.total, stepDetail(e.done, e.total, e.stepMs ?? 0));
        });
        bar.stop();
        const job = await client.job(accepted.id);
        if (end.status !== 'completed') throw new Error(`job ${end.status}: ${end.error ?? 'no reason given'}`);

        const out = resolve(o.out ?? join(process.env.SDFARM_DATA || DEFAULT_DATA_DIR, 'demo', job.id));
        const files = await saveImages(job, out);
        console.log(`\n${job.images.length} images (bucket ${farm.env.S3_BUCKET}, copied to ${relative(process.cwd(), out) || '.'}):`);
        job.images.forEach((image, i) => console.log(`  ${relative(process.cwd(), files[i]!)}   seed ${image.seed}   s3://${farm.env.S3_BUCKET}/${image.key}`));
        console.log(`  manifest: ${relative(process.cwd(), join(out, 'manifest.json'))}   s3://${farm.env.S3_BUCKET}/${job.manifestKey}`);
        console.log('\ntimings:');
        for (const line of timingLines(job)) console.log(line);
      } finally {
        console.log('\nstopping the farm…');
        await farm.stop();
      }
    });
}

import { relative, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ModelRegistry } from '../../../../libs/contracts/src/model-registry';
import { startEmbeddedFarm, type EmbeddedFarm } from '../../../../libs/embedded/src/embedded-farm';

export const DEFAULT_DATA_DIR = './.sdfarm';

export const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be an integer ≥ 1 (got "${value}")`);
  return n;
};

/** A worker's JSON log line as one short human line (`msg key=value …`). */
export function workerLine(index: number, line: string): string {
  try {
    const { time: _time, level, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
    const rest = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    return `[worker ${index}] ${level === 'info' ? '' : `${String(level).toUpperCase()} `}${String(msg)} ${rest.join(' ')}`.trimEnd();
  } catch {
    return `[worker ${index}] ${line}`;
  }
}

/** Starts the embedded farm from the environment (PORT, SDFARM_DATA, REDIS_URL, S3_ENDPOINT, …). */
export async function startFarmFromEnv(options: { port: number; workers: number; quiet?: boolean }): Promise<EmbeddedFarm> {
  return startEmbeddedFarm({
    dataDir: resolve(process.env.SDFARM_DATA || DEFAULT_DATA_DIR),
    port: options.port,
    workers: options.workers,
    onWorkerLine: (i, line) => {
      if (!options.quiet || /"level":"(warn|error)"/.test(line)) console.error(workerLine(i, line));
    },
  });
}

export function describeFarm(farm: EmbeddedFarm): string[] {
  const data = farm.env.SDFARM_DATA!;
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  const models = ModelRegistry.fromEnv(farm.env);
  return [
    `  API        ${farm.apiUrl}   (OpenAPI docs ${farm.apiUrl}/docs, queue dashboard ${farm.apiUrl}/queues)`,
    `  API key    ${process.env.SDFARM_API_KEYS ? 'from SDFARM_API_KEYS' : `${farm.apiKey}   (${farm.keyGenerated ? 'generated, ' : ''}kept in ${rel(farm.keyFile!)})`}`,
    `  Redis      ${farm.redisUrl}${process.env.REDIS_URL ? '' : `   (spawned, data in ${rel(`${data}/redis`)})`}`,
    `  Storage    ${farm.s3Endpoint} bucket ${farm.env.S3_BUCKET}${process.env.S3_ENDPOINT ? '' : `   (s3rver, data in ${rel(`${data}/s3`)})`}`,
    `  Workers    ${farm.workers.length} (pids ${farm.workers.map((w) => w.pid).join(', ')})`,
    `  Models     ${models.list().map((m) => `${m.name}${m.name === models.defaultModel ? ' (default)' : ''} → ${rel(m.path)}`).join(', ')}`,
  ];
}

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('Run the farm on this machine: Redis, S3 storage, the API and workers (Ctrl-C stops them all)')
    .option('--port <port>', 'API port (PORT)', positiveInt('--port'), Number(process.env.PORT || 3000))
    .option('--workers <n>', 'worker processes (SDFARM_WORKERS)', positiveInt('--workers'), Number(process.env.SDFARM_WORKERS || 1))
    .action(async (o: { port: number; workers: number }) => {
      const farm = await startFarmFromEnv(o);
      console.log('sdfarm is up');
      for (const line of describeFarm(farm)) console.log(line);
      console.log('\nTry:');
      console.log(`  curl -s -X POST ${farm.apiUrl}/v1/jobs -H "Authorization: Bearer ${process.env.SDFARM_API_KEYS ? '<key>' : farm.apiKey}" \\`);
      console.log(`       -H 'Content-Type: application/json' -d '{"prompts": ["a pink BMW Mini at an exhibition"], "batchSize": 3}'`);
      console.log('\nCtrl-C stops everything.');
      await new Promise<void>((done) => {
        const stop = () => {
          console.log('\nstopping: workers finish or hand back their chunks, then the API, storage and Redis…');
          farm.stop().then(done, (e: unknown) => {
            console.error(e);
            done();
          });
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      console.log('stopped');
    });
}

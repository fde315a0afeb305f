// The worker process: `node dist/apps/worker/src/main.js`, configured by environment (see README.md).
import { log } from './log';
import { RenderWorker } from './render-worker';
import { workerSettingsFromEnv } from './settings';

async function main(): Promise<void> {
  const worker = await RenderWorker.start(workerSettingsFromEnv());
  const stop = () =>
    worker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log('stop failed', { error: String(error) }, 'error');
        process.exit(1);
      },
    );
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log('second signal: exiting now', { signal }, 'warn');
      process.exit(1);
    }
    void stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Started by `sdfarm up` (or a test) with an IPC channel: a parent that dies takes its workers along.
  // Its Redis may be going down at the same time, so the stop gets a deadline.
  if (process.send) {
    process.on('disconnect', () => {
      setTimeout(() => process.exit(1), 15_000).unref();
      void stop();
    });
  }
}

main().catch((error: unknown) => {
  log('worker failed to start', { error: error instanceof Error ? error.message : String(error) }, 'error');
  process.exit(1);
});

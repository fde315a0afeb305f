import { SingleBar, Presets } from 'cli-progress';

export interface StepProgressView {
  step(done: number, total: number, stepMs: number): void;
  stop(): void;
}

/** A progress bar on a terminal; plain lines when output is piped or logged. */
export function createStepProgress(label = 'denoising', stream: NodeJS.WriteStream = process.stderr): StepProgressView {
  if (!stream.isTTY) {
    return {
      step: (done, total, ms) => stream.write(`${label}: step ${done}/${total} (${ms.toFixed(0)} ms)\n`),
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    { format: `${label} [{bar}] {value}/{total} steps | {stepMs} ms/step | eta {eta_formatted}`, stream, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    step(done, total, ms) {
      if (!started) {
        bar.start(total, 0, { stepMs: '-' });
        started = true;
      }
      bar.update(done, { stepMs: ms.toFixed(0) });
    },
    stop: () => started && bar.stop(),
  };
}

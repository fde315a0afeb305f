import { SingleBar, Presets } from 'cli-progress';

export interface ProgressView {
  /** `detail` says what is going on (shown beside the bar, or as the line printed when not on a terminal). */
  update(done: number, total: number, detail: string): void;
  stop(): void;
}

/**
 * A progress bar on a terminal; plain lines when output is piped or logged, one each time `detail`
 * changes (per step for a render, per policy run for a benchmark).
 */
export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressView {
  if (!stream.isTTY) {
    let last = '';
    return {
      update: (_done, _total, detail) => {
        if (detail !== last) stream.write(`${label}: ${detail}\n`);
        last = detail;
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} | {detail} | eta {eta_formatted}`, stream, hideCursor: true }, Presets.shades_classic);
  let started = false;
  return {
    update(done, total, detail) {
      if (!started) bar.start(total, 0, { detail });
      started = true;
      bar.setTotal(total);
      bar.update(done, { detail });
    },
    stop: () => started && bar.stop(),
  };
}

/** Denoising progress: step i of n and how long the last step took. */
export const stepDetail = (done: number, total: number, stepMs: number) => `step ${done}/${total} (${stepMs.toFixed(0)} ms)`;

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { EventLoopDelay } from '../../../libs/contracts/src/render-job';

/**
 * Event-loop delay of this (main) thread: the one that renews BullMQ's job locks. A render that
 * blocked it for longer than the lock duration would be taken for stalled and run twice.
 */
export class EventLoopDelayMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.histogram.enable();
  }

  /** Starts a new measurement window. */
  reset(): void {
    this.histogram.reset();
  }

  /** The delay since the last reset (the histogram's values are in ns). */
  read(): EventLoopDelay {
    const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);
    return { meanMs: ms(this.histogram.mean), p99Ms: ms(this.histogram.percentile(99)), maxMs: ms(this.histogram.max) };
  }

  stop(): void {
    this.histogram.disable();
  }
}

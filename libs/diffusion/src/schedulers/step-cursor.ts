/**
 * Tracks which entry of `timesteps` the next `step` is for. diffusers finds the index from the timestep
 * value; the multistep schedulers' history makes anything but one call per timestep, in order, silently
 * wrong, so here it is checked instead.
 */
export class StepCursor {
  private timesteps: readonly number[] = [];
  private next = 0;

  constructor(private readonly className: string) {}

  reset(timesteps: readonly number[]): void {
    this.timesteps = timesteps;
    this.next = 0;
  }

  /** Index of the step `timestep` belongs to (the one `step` is about to take). */
  indexOf(timestep: number, method: string): number {
    if (this.timesteps.length === 0) throw new Error(`${this.className}.${method}: call setTimesteps first`);
    if (this.next >= this.timesteps.length) {
      throw new Error(`${this.className}.${method}: all ${this.timesteps.length} steps are done; call setTimesteps to start again`);
    }
    const expected = this.timesteps[this.next]!;
    if (timestep !== expected) {
      throw new Error(
        `${this.className}.${method}: expected timestep ${expected} (step ${this.next + 1} of ${this.timesteps.length}), got ${timestep}; ` +
          'step must be called once per timestep, in the order of `timesteps`',
      );
    }
    return this.next;
  }

  advance(): void {
    this.next++;
  }
}

export function checkSameLength(className: string, modelOutput: Float32Array, sample: Float32Array): void {
  if (modelOutput.length !== sample.length) {
    throw new Error(`${className}.step: modelOutput has ${modelOutput.length} values, sample has ${sample.length}; they must match`);
  }
}

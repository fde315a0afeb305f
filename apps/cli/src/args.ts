import { InvalidArgumentError } from 'commander';

/** A commander option parser for an integer of at least `min`; the error names the option. */
export const intArg = (name: string, min = Number.MIN_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new InvalidArgumentError(min === Number.MIN_SAFE_INTEGER ? `${name} must be an integer (got "${v}")` : `${name} must be an integer ≥ ${min} (got "${v}")`);
  }
  return n;
};

/** A commander option parser for a finite number. */
export const numArg = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number (got "${v}")`);
  return n;
};

/** Typed readers for the fields of a diffusers `unet/config.json`; every error names the field and the limit. */
export type RawConfig = Readonly<Record<string, unknown>>;

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

export function fieldError(key: string, expected: string, value: unknown): Error {
  return new Error(`unet config: ${key} must be ${expected}, got ${show(value)}`);
}

/** Only an absent key takes the default: an explicit null is a value, as it is for diffusers. */
export function readField(raw: RawConfig, key: string, fallback: unknown): unknown {
  return raw[key] === undefined ? fallback : raw[key];
}

function isInt(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

export function intField(raw: RawConfig, key: string, fallback: number, min = 1): number {
  const value = readField(raw, key, fallback);
  if (!isInt(value, min)) throw fieldError(key, `an integer >= ${min}`, value);
  return value;
}

export function numberField(raw: RawConfig, key: string, fallback: number, positive = false): number {
  const value = readField(raw, key, fallback);
  if (typeof value !== 'number' || !Number.isFinite(value) || (positive && value <= 0)) {
    throw fieldError(key, positive ? 'a positive number' : 'a finite number', value);
  }
  return value;
}

export function boolField(raw: RawConfig, key: string, fallback: boolean): boolean {
  const value = readField(raw, key, fallback);
  if (typeof value !== 'boolean') throw fieldError(key, 'true or false', value);
  return value;
}

export function intListField(raw: RawConfig, key: string, fallback: readonly number[], min = 1): number[] {
  const value = readField(raw, key, fallback);
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => isInt(v, min))) {
    throw fieldError(key, `a non-empty list of integers >= ${min}`, value);
  }
  return value as number[];
}

export function stringListField(raw: RawConfig, key: string, fallback: readonly string[]): string[] {
  const value = readField(raw, key, fallback);
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) {
    throw fieldError(key, 'a non-empty list of block type names', value);
  }
  return value as string[];
}

/** An int applied to every block, or one int per block (diffusers accepts both for several fields). */
export function perBlockIntField(raw: RawConfig, key: string, fallback: number, blocks: number, min = 1): number[] {
  const value = readField(raw, key, fallback);
  if (isInt(value, min)) return new Array<number>(blocks).fill(value);
  if (Array.isArray(value) && value.length === blocks && value.every((v) => isInt(v, min))) return value as number[];
  throw fieldError(key, `an integer >= ${min} or a list of ${blocks} such integers (one per down block)`, value);
}

/** As perBlockIntField, where null (the default) means "not set". */
export function optionalPerBlockIntField(raw: RawConfig, key: string, blocks: number): number[] | null {
  return readField(raw, key, null) === null ? null : perBlockIntField(raw, key, 0, blocks);
}

/** Options this implementation does not build: present with any value but the accepted ones is an error. */
export function requireOneOf(raw: RawConfig, key: string, fallback: unknown, accepted: readonly unknown[]): void {
  const value = readField(raw, key, fallback);
  if (!accepted.includes(value)) {
    throw new Error(`unet config: unsupported ${key} ${show(value)} (supported: ${accepted.map(show).join(', ')})`);
  }
}

import { parsePythonJson } from '../loader/read-json';
/**
 * Reads one scheduler's fields from a diffusers config: a field that is absent (or null where the default
 * is null) takes the class's default; a present one must have the right type, else the error names the
 * class, the field and what it accepts.
 */
export class ConfigFields {
  constructor(
    private readonly className: string,
    private readonly input: Readonly<Record<string, unknown>>,
  ) {}

  private raw(field: string): unknown {
    return this.input[field];
  }

  private fail(field: string, expected: string): never {
    throw new Error(`${this.className}: config field "${field}" must be ${expected} (got ${JSON.stringify(this.raw(field)) ?? String(this.raw(field))})`);
  }

  number(field: string, fallback: number): number {
    const value = this.raw(field);
    if (value === undefined) return fallback;
    const parsed = typeof value === 'string' ? parseNonFiniteNumber(value) : value;
    if (typeof parsed !== 'number' || Number.isNaN(parsed)) this.fail(field, 'a number');
    return parsed;
  }

  positiveNumber(field: string, fallback: number): number {
    const value = this.number(field, fallback);
    if (!(value > 0) || !Number.isFinite(value)) this.fail(field, 'a finite number > 0');
    return value;
  }

  nullableNumber(field: string, fallback: number | null): number | null {
    const value = this.raw(field);
    if (value === undefined || value === null) return value === null ? null : fallback;
    return this.positiveNumber(field, 0);
  }

  integer(field: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.raw(field);
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `an integer in [${min}, ${max}]`);
    }
    return value;
  }

  boolean(field: string, fallback: boolean): boolean {
    const value = this.raw(field);
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') this.fail(field, 'true or false');
    return value;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(field);
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(field, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    }
    return value as T;
  }

  nullableOneOf<T extends string>(field: string, allowed: readonly T[], fallback: T | null): T | null {
    const value = this.raw(field);
    if (value === null) return null;
    if (value === undefined) return fallback;
    return this.oneOf(field, allowed, allowed[0]!);
  }

  nullableNumberList(field: string): readonly number[] | null {
    const value = this.raw(field);
    if (value === undefined || value === null) return null;
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      this.fail(field, 'a non-empty list of finite numbers, or null');
    }
    return value as number[];
  }

  /** For options this port does not implement: accepted only at the value that needs no code. */
  require<T>(field: string, value: T, supported: readonly T[], what: string): T {
    if (!supported.includes(value)) {
      throw new Error(`${this.className}: config field "${field}" = ${JSON.stringify(value)} is not supported (${what}); supported: ${supported.map((s) => JSON.stringify(s)).join(', ')}`);
    }
    return value;
  }
}

/** Python's json writes -inf as `-Infinity`; configs that went through other tools may hold it as a string. */
function parseNonFiniteNumber(text: string): number | string {
  const map: Record<string, number> = { '-Infinity': -Infinity, Infinity: Infinity, '-inf': -Infinity, inf: Infinity };
  return text in map ? map[text]! : text;
}

/** A `scheduler_config.json`'s text as an object (see parsePythonJson). */
export { parsePythonJson };

export function parseSchedulerConfigJson(text: string): Record<string, unknown> {
  const parsed = parsePythonJson(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('scheduler config: expected a JSON object');
  return parsed as Record<string, unknown>;
}

import { readFile } from 'node:fs/promises';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a JSON file that must hold an object; errors name the file. */
export async function readJsonObject(path: string, what: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path} not found: ${what} is missing`);
    throw new Error(`${path}: cannot read ${what} (${(e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = parsePythonJson(text);
  } catch (e) {
    throw new Error(`${path}: ${what} is not valid JSON (${(e as Error).message})`);
  }
  if (!isJsonObject(parsed)) throw new Error(`${path}: ${what} must be a JSON object`);
  return parsed;
}

/**
 * Parses JSON as Python's json module writes it: `Infinity`, `-Infinity` and `NaN` are not JSON, but
 * diffusers saves `lambda_min_clipped: -inf` that way in `scheduler_config.json`.
 */
export function parsePythonJson(text: string): unknown {
  const quoted = text.replace(/("(?:[^"\\]|\\.)*")|(-?Infinity|NaN)\b/g, (match, str: string | undefined) => (str !== undefined ? match : `"\\u0000${match}"`));
  return JSON.parse(quoted, (_key, value: unknown) => {
    if (typeof value === 'string' && value.startsWith('\u0000')) return Number(value.slice(1));
    return value;
  }) as unknown;
}


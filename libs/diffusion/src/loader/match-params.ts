import type { ParamSpec } from '../ops/ops';
import { FLOAT_DTYPES, type SafetensorsDtype } from '../weights/safetensors';
import { currentName, isOneByOneOf } from './legacy-names';

export interface StoredTensor {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
}

export interface ShapeMismatch {
  readonly name: string;
  readonly expected: readonly number[];
  readonly actual: readonly number[];
}

const LISTED = 5;

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, LISTED).join(', ');
  return names.length > LISTED ? `${shown}, … (${names.length} in all)` : shown;
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** The weights in a folder do not fit the model's parameter list. */
export class WeightMismatchError extends Error {
  constructor(
    readonly source: string,
    readonly missing: readonly string[],
    readonly unexpected: readonly string[],
    readonly wrongShape: readonly ShapeMismatch[],
    readonly wrongDtype: readonly { name: string; dtype: SafetensorsDtype }[],
  ) {
    const lines = [`${source} does not match the model's parameters:`];
    if (missing.length > 0) lines.push(`  ${missing.length} missing tensor(s): ${listNames(missing)}`);
    if (unexpected.length > 0) lines.push(`  ${unexpected.length} unexpected tensor(s): ${listNames(unexpected)}`);
    for (const m of wrongShape.slice(0, LISTED)) {
      lines.push(`  tensor ${m.name} has shape ${fmt(m.actual)}, the model expects ${fmt(m.expected)}`);
    }
    if (wrongShape.length > LISTED) lines.push(`  … ${wrongShape.length} tensors with a wrong shape in all`);
    for (const d of wrongDtype.slice(0, LISTED)) {
      lines.push(`  tensor ${d.name} is stored as ${d.dtype}, the model needs a float dtype (F32, F16, BF16)`);
    }
    super(lines.join('\n'));
    this.name = 'WeightMismatchError';
  }
}

export interface MatchOptions {
  /** Stored tensors under these prefixes are not wanted and not reported as unexpected. */
  readonly skipPrefixes?: readonly string[];
}

function uniqueParams(params: readonly ParamSpec[]): ParamSpec[] {
  const byName = new Map<string, ParamSpec>();
  for (const p of params) {
    const prev = byName.get(p.name);
    if (prev && fmt(prev.shape) !== fmt(p.shape)) {
      throw new Error(`the model declares parameter ${p.name} twice, as ${fmt(prev.shape)} and ${fmt(p.shape)}`);
    }
    byName.set(p.name, p);
  }
  return [...byName.values()];
}

/**
 * Pairs each parameter with its stored tensor (legacy names resolved), or throws a WeightMismatchError
 * listing every missing, unexpected, mis-shaped and non-float tensor. Integer tensors that no
 * parameter wants (CLIP's `position_ids`) are tolerated.
 */
export function matchParams<S extends StoredTensor>(
  source: string,
  params: readonly ParamSpec[],
  stored: ReadonlyMap<string, S>,
  options: MatchOptions = {},
): Array<{ spec: ParamSpec; tensor: S }> {
  const specs = uniqueParams(params);
  const wanted = new Set(specs.map((p) => p.name));
  const byName = new Map<string, S>(stored);
  for (const [name, tensor] of stored) {
    const current = currentName(name);
    if (current && wanted.has(current) && !stored.has(current)) {
      byName.set(current, tensor);
      byName.delete(name);
    }
  }

  const pairs: Array<{ spec: ParamSpec; tensor: S }> = [];
  const missing: string[] = [];
  const wrongShape: ShapeMismatch[] = [];
  const wrongDtype: Array<{ name: string; dtype: SafetensorsDtype }> = [];
  for (const spec of specs) {
    const tensor = byName.get(spec.name);
    if (!tensor) {
      missing.push(spec.name);
      continue;
    }
    if (!FLOAT_DTYPES.has(tensor.dtype)) wrongDtype.push({ name: spec.name, dtype: tensor.dtype });
    else if (fmt(tensor.shape) !== fmt(spec.shape) && !isOneByOneOf(tensor.shape, spec.shape, spec.kind)) {
      wrongShape.push({ name: spec.name, expected: spec.shape, actual: tensor.shape });
    } else pairs.push({ spec, tensor });
  }
  const skipped = (name: string) => (options.skipPrefixes ?? []).some((p) => name.startsWith(p));
  const unexpected = [...byName.entries()]
    .filter(([name, t]) => !wanted.has(name) && FLOAT_DTYPES.has(t.dtype) && !skipped(name))
    .map(([, t]) => t.name);

  if (missing.length + unexpected.length + wrongShape.length + wrongDtype.length > 0) {
    throw new WeightMismatchError(source, missing, unexpected, wrongShape, wrongDtype);
  }
  return pairs;
}

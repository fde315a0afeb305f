import { plainToInstance, type ClassConstructor } from 'class-transformer';
import {
  IsDivisibleBy,
  IsIn,
  IsInt,
  IsNumber,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { FIXED_LIMITS as L, SCHEDULERS } from './limits';

/**
 * The field rules the request bodies share (render jobs, benchmarks). class-validator runs a property's
 * decorators bottom-up (nearest the property first) and stops at the first failure, so each rule lists
 * the basic checks (present, finite, integer) last.
 */
export function fieldRules(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    for (const d of [...decorators].reverse()) d(target, key);
  };
}

/** Optional, but `null` (what JSON makes of NaN) is a value to reject, not a missing field. */
export const Optional = () => ValidateIf((_o: object, value: unknown) => value !== undefined);

export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** Rejects NaN and ±Infinity with a message that says so (a JSON body may carry them as NaN/Infinity tokens). */
export const IsFiniteNumber = () =>
  ValidateBy({
    name: 'isFiniteNumber',
    validator: {
      validate: (value: unknown) => typeof value === 'number' && Number.isFinite(value),
      defaultMessage: (args) => `${args?.property} must be a finite number (got ${describeValue(args?.value)})`,
    },
  });

const optionalInt = (min: number, max: number) => fieldRules(Max(max), Min(min), IsInt(), IsFiniteNumber(), Optional());

export const PromptTextField = () => fieldRules(MaxLength(L.maxPromptChars), IsString(), Optional());
export const ModelNameField = () => fieldRules(MaxLength(L.maxModelName), IsString(), Optional());
export const ImageSideField = () => fieldRules(IsDivisibleBy(L.sideMultiple), Max(L.maxSide), Min(L.minSide), IsInt(), IsFiniteNumber(), Optional());
export const StepsField = () => optionalInt(1, L.maxSteps);
export const BatchSizeField = () => optionalInt(1, L.maxBatchSize);
export const SeedField = () => optionalInt(0, L.maxSeed);
export const GuidanceField = () => fieldRules(Max(L.maxGuidance), Min(L.minGuidance), IsNumber(), IsFiniteNumber(), Optional());
export const SchedulerField = () => fieldRules(IsIn(SCHEDULERS, { message: `scheduler must be one of ${SCHEDULERS.join(', ')}` }), Optional());
export { optionalInt as OptionalIntField };

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * A JSON body checked against a request class: every bad field named with its rule, unknown fields
 * refused. `request` is set when the body is an object at all.
 */
export function validateBody<T extends object>(cls: ClassConstructor<T>, body: unknown): { request?: T; errors: FieldError[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { errors: [{ field: 'body', message: 'body must be a JSON object' }] };
  }
  const request = plainToInstance(cls, body);
  const errors = validateSync(request, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    validationError: { target: false },
  }).flatMap(flatten);
  return { request, errors };
}

function flatten(error: ValidationError): FieldError[] {
  const own = Object.values(error.constraints ?? {}).map((message) => ({ field: error.property, message }));
  return [...own, ...(error.children ?? []).flatMap(flatten)];
}

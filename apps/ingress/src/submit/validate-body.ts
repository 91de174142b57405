import { applyDecorators } from '@nestjs/common';
import { badRequest } from '@reqrun/contracts';
import { plainToInstance, Type, type ClassConstructor } from 'class-transformer';
import { IsObject, validateSync, ValidateNested, type ValidationError } from 'class-validator';

/**
 * An array whose elements are each an object validated as `type` (put it above the array's own checks: they run
 * first). ValidateNested alone walks into an element that is itself an array, so `[[]]` passed as a list of
 * messages, and then broke the translation (a 500 found by test/fuzz.e2e.ts).
 */
export const EachOf = (type: () => ClassConstructor<object>) =>
  applyDecorators(IsObject({ each: true, message: '$property must be an array of objects' }), ValidateNested({ each: true }), Type(type));

/**
 * Checks the fields ReqRun reads and leaves every other field alone (they pass through to the provider).
 * Throws a 400 naming the first bad field.
 */
export function validateBody<T extends object>(dto: ClassConstructor<T>, body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.');
  }
  if (!plainChecks.get(dto)?.(body as Record<string, unknown>)) validateWithDto(dto, body);
  return body as Record<string, unknown>;
}

/** The DTO's own check, by class-transformer and class-validator: a 400 naming the first bad field. */
export function validateWithDto<T extends object>(dto: ClassConstructor<T>, body: object): void {
  const errors = validateSync(plainToInstance(dto, walkable(body)) as object, { forbidUnknownValues: false, stopAtFirstError: true });
  if (errors.length > 0) {
    const { path, message } = firstError(errors[0]);
    throw badRequest(message, path);
  }
}

/**
 * Per DTO, a check that says yes only to bodies the DTO certainly accepts (the common, plain ones), without
 * class-transformer and class-validator, which cost ~10 % of the ingress's CPU per request. It never says no: every
 * other body, valid or not, goes through them, so every error and its wording is still theirs.
 */
export const plainChecks = new WeakMap<ClassConstructor<object>, (body: Record<string, unknown>) => boolean>();

const optional = (v: unknown, ok: (x: unknown) => boolean) => v === undefined || ok(v);

/** What CreateBodyDto certainly accepts: a non-empty string model, and ReqRun's extensions absent or plainly right. */
export function plainCreateBody(b: Record<string, unknown>): boolean {
  return (
    typeof b.model === 'string' && b.model !== '' &&
    optional(b.stream, (x) => typeof x === 'boolean') &&
    optional(b.wait, (x) => typeof x === 'boolean') &&
    optional(b.wait_timeout, (x) => typeof x === 'number' && Number.isFinite(x) && x >= 0) &&
    // UTF-16 length: never less than what MaxLength counts, so a key it takes as 255 or fewer characters passes.
    optional(b.idempotency_key, (x) => typeof x === 'string' && x !== '' && x.length <= 255) &&
    optional(b.completion_window, (x) => typeof x === 'string') &&
    optional(b.tools, (x) => Array.isArray(x) && x.length === 0)
  );
}

/**
 * A copy of the body that class-transformer can walk: it recurses into every field (passed-through ones too) and
 * takes an own `constructor` key for the object's class (a TypeError, so a 500, for `{"text":{"constructor":[]}}`);
 * such keys are renamed in the copy (no DTO declares one). Found by test/fuzz.e2e.ts. Depth is already bounded
 * (`checkJsonDepth` runs before any handler), so the recursion is too.
 */
function walkable(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(walkable);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    Object.defineProperty(out, k === 'constructor' ? ' constructor' : k, { value: walkable(x), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function firstError(e: ValidationError, parent = ''): { path: string; message: string } {
  const path = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
  if (e.constraints) {
    const message = Object.values(e.constraints)[0].replace(e.property, `'${path}'`);
    return { path, message: message.startsWith(`'${path}'`) ? message : `'${path}': ${message}` };
  }
  return firstError(e.children![0], path);
}

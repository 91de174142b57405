import { badRequest } from '@reqrun/contracts';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/**
 * Checks the fields ReqRun reads and leaves every other field alone (they pass through to the provider).
 * Throws a 400 naming the first bad field.
 */
export function validateBody<T extends object>(dto: ClassConstructor<T>, body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.');
  }
  const errors = validateSync(plainToInstance(dto, walkable(body)) as object, { forbidUnknownValues: false, stopAtFirstError: true });
  if (errors.length > 0) {
    const { path, message } = firstError(errors[0]);
    throw badRequest(message, path);
  }
  return body as Record<string, unknown>;
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

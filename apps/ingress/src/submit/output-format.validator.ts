import { outputFormatProblem } from '@reqrun/translate';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * class-validator decorator for a requested answer format (chat's `response_format`, or the field `inner` of the
 * property: Responses' `text.format`): text, JSON mode or a JSON schema, well formed; the message names the field.
 */
export const IsOutputFormat = (shape: 'chat' | 'responses', inner?: string, o?: ValidationOptions) => {
  const format = (v: any) => (inner ? v[inner] : v);
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  return ValidateBy({
    name: 'isOutputFormat',
    validator: {
      validate: (v) => isObject(v) && outputFormatProblem(format(v), shape) === null,
      defaultMessage: (a) => (isObject(a?.value) ? `$property${inner ? `: ${inner}` : ''} ${outputFormatProblem(format(a!.value), shape)}` : '$property must be an object'),
    },
  }, o);
};

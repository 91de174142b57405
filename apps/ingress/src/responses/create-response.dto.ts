import {
  ArrayMaxSize, IsArray, IsBoolean, IsDefined, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, Max, Min, ValidateBy, type ValidationOptions,
} from 'class-validator';
import { CreateBodyDto, noTools } from '../submit/create-body.dto.js';
import { IsOutputFormat } from '../submit/output-format.validator.js';
import { textContentProblem } from '../submit/text-content.validator.js';

const ROLES = ['user', 'assistant', 'system', 'developer'];

/** What is wrong with `input`: a non-empty string, or a non-empty list of message items (output messages count). */
export function inputProblem(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? 'must not be empty' : null;
  if (!Array.isArray(v)) return 'must be a string or an array of input items';
  if (v.length === 0) return 'must contain at least one item';
  for (const [i, item] of v.entries()) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return `item ${i} must be an object`;
    if (item.type !== undefined && item.type !== 'message') {
      return `item ${i} has type '${String(item.type)}', which ReqRun cannot translate yet (send message items)`;
    }
    if (!ROLES.includes(item.role)) return `item ${i} needs a role: one of ${ROLES.join(', ')}`;
    const content = textContentProblem(item.content, ['input_text', 'output_text']);
    if (content) return `item ${i} content: ${content}`;
  }
  return null;
}

const IsResponsesInput = (o?: ValidationOptions) =>
  ValidateBy({ name: 'isResponsesInput', validator: { validate: (v) => inputProblem(v) === null, defaultMessage: (a) => `$property: ${inputProblem(a?.value)}` } }, o);

/** OpenAI's metadata: string values only (its Response schema says so). */
const IsStringMap = (o?: ValidationOptions) =>
  ValidateBy({
    name: 'isStringMap',
    validator: {
      validate: (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string'),
      defaultMessage: () => '$property must be an object with string values',
    },
  }, o);

/** The fields of a Responses request that ReqRun itself reads; everything else passes through. */
export class CreateResponseDto extends CreateBodyDto {
  @IsDefined({ message: '$property is required' })
  @IsResponsesInput()
  input: unknown;

  /** Tool calling is built for chat only: refused here, since dropping tools would answer as if there were none. */
  @IsOptional() @ArrayMaxSize(0, { message: noTools }) @IsArray() tools?: unknown[];

  @IsOptional() @IsString() instructions?: string | null;
  @IsOptional() @IsInt() @Min(1) max_output_tokens?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) top_p?: number;
  @IsOptional() @IsStringMap() metadata?: Record<string, string>;
  @IsOptional() @IsBoolean() background?: boolean;
  @IsOptional() @IsString() @IsNotEmpty() previous_response_id?: string | null;
  /** Text, JSON mode or a JSON schema (echoed back in the response); other formats are refused, not ignored. */
  @IsOptional() @IsOutputFormat('responses', 'format') text?: { format?: unknown };
}

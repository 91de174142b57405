import {
  IsArray, IsBoolean, IsDefined, IsIn, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, Max, Min, ValidateBy, type ValidationOptions,
} from 'class-validator';
import { CreateBodyDto } from '../submit/create-body.dto.js';
import { EachOf } from '../submit/validate-body.js';
import { IsOutputFormat } from '../submit/output-format.validator.js';
import { textContentProblem } from '../submit/text-content.validator.js';
import { FunctionDto, IsToolChoice } from '../submit/tools.validator.js';

const ROLES = ['user', 'assistant', 'system', 'developer'];

const TEXT_PARTS = ['input_text', 'output_text'];

/**
 * What is wrong with `input`: a non-empty string, or a non-empty list of message items (output messages count),
 * function calls and their outputs (a tool loop).
 */
export function inputProblem(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? 'must not be empty' : null;
  if (!Array.isArray(v)) return 'must be a string or an array of input items';
  if (v.length === 0) return 'must contain at least one item';
  for (const [i, item] of v.entries()) {
    const problem = itemProblem(item);
    if (problem) return `item ${i} ${problem}`;
  }
  return null;
}

function itemProblem(item: any): string | null {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return 'must be an object';
  if (item.type === 'function_call') {
    for (const k of ['call_id', 'name', 'arguments']) if (typeof item[k] !== 'string' || (k !== 'arguments' && item[k] === '')) return `(a function_call) needs ${k} as a string`;
    return null;
  }
  if (item.type === 'function_call_output') {
    if (typeof item.call_id !== 'string' || item.call_id === '') return '(a function_call_output) needs call_id as a string';
    const output = textContentProblem(item.output, TEXT_PARTS);
    return output ? `output: ${output}` : null;
  }
  if (item.type !== undefined && item.type !== 'message') {
    return `has type '${String(item.type)}', which ReqRun cannot translate yet (send message, function_call or function_call_output items)`;
  }
  if (!ROLES.includes(item.role)) return `needs a role: one of ${ROLES.join(', ')}`;
  const content = textContentProblem(item.content, TEXT_PARTS, { type: 'input_image', url: (p) => p.image_url }, item.role === 'user');
  return content ? `content: ${content}` : null;
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

class FunctionToolDto extends FunctionDto {
  @IsIn(['function'], { message: "$property must be 'function' (other tool types are not supported)" }) type: string;
}

/** The fields of a Responses request that ReqRun itself reads; everything else passes through. */
export class CreateResponseDto extends CreateBodyDto {
  @IsDefined({ message: '$property is required' })
  @IsResponsesInput()
  input: unknown;

  /** Functions the model may call (`function_call` output items) */
  @IsOptional() @EachOf(() => FunctionToolDto) @IsArray() tools?: FunctionToolDto[];
  @IsOptional() @IsToolChoice((c) => c.name, (t) => t?.name, "{type: 'function', name}") tool_choice?: unknown;
  @IsOptional() @IsBoolean() parallel_tool_calls?: boolean;

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

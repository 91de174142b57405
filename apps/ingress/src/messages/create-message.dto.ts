import { Type } from 'class-transformer';
import {
  ArrayNotEmpty, IsArray, IsBoolean, IsDefined, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, Min, ValidateBy, ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { CreateBodyDto } from '../submit/create-body.dto.js';
import { IsTextContent, textContentProblem } from '../submit/text-content.validator.js';

const ROLES = ['user', 'assistant', 'system'];
/** The content blocks ReqRun translates, by role: an assistant turn calls tools, a user turn gives their results. */
const BLOCKS: Record<string, string[]> = { user: ['text', 'tool_result'], assistant: ['text', 'tool_use'], system: ['text'] };
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const CHOICE_TYPES = ['auto', 'any', 'tool', 'none'];

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isId = (v: unknown) => typeof v === 'string' && v !== '';

/**
 * What is wrong with a turn's content: a string, or blocks of the types its role may send (tool_use on assistant
 * turns, tool_result on user turns, text on any). Null when nothing is. Other blocks (images, documents) are
 * refused rather than dropped, so a model never answers a question it was not shown in full.
 */
export function messageContentProblem(role: unknown, v: unknown): string | null {
  if (typeof v === 'string') return null;
  if (!Array.isArray(v)) return 'must be a string or an array of content blocks';
  const types = typeof role === 'string' && Object.hasOwn(BLOCKS, role) ? BLOCKS[role] : BLOCKS.system;
  for (const [i, b] of v.entries()) {
    const problem = blockProblem(b, types);
    if (problem) return `part ${i} ${problem}`;
  }
  return null;
}

function blockProblem(b: unknown, types: string[]): string | null {
  if (!isObject(b) || typeof b.type !== 'string') return 'must be an object with a type';
  if (!types.includes(b.type)) {
    if (b.type === 'tool_use' || b.type === 'tool_result') return `of type '${b.type}' is only for ${b.type === 'tool_use' ? 'assistant' : 'user'} turns`;
    return `has type '${b.type}', which ReqRun cannot translate yet (send ${types.join(' or ')} parts)`;
  }
  switch (b.type) {
    case 'tool_use':
      if (!isId(b.id)) return '(tool_use) needs an id string';
      if (typeof b.name !== 'string') return '(tool_use) needs a name string';
      return isObject(b.input) ? null : '(tool_use) needs an input object';
    case 'tool_result': {
      if (!isId(b.tool_use_id)) return '(tool_result) needs a tool_use_id string';
      if (b.is_error !== undefined && typeof b.is_error !== 'boolean') return '(tool_result) is_error must be a boolean';
      const content = b.content === undefined ? null : textContentProblem(b.content, ['text']);
      return content ? `(tool_result) content ${content}` : null;
    }
    default:
      return typeof b.text === 'string' ? null : 'must have a text string';
  }
}

/** class-validator decorator for `messageContentProblem`, reading the role off the turn. */
const IsMessageContent = (o?: ValidationOptions) =>
  ValidateBy({
    name: 'isMessageContent',
    validator: {
      validate: (v, a) => messageContentProblem((a?.object as AnthropicMessageDto).role, v) === null,
      defaultMessage: (a) => `$property: ${messageContentProblem((a?.object as AnthropicMessageDto).role, a?.value)}`,
    },
  }, o);

/** What is wrong with a `tool_choice`: `{type: auto | any | tool | none}`, a `tool` one naming one of `tools`. */
export function toolChoiceProblem(v: unknown, tools: unknown): string | null {
  if (!isObject(v)) return `must be an object: {type: ${CHOICE_TYPES.join(' | ')}}`;
  if (!CHOICE_TYPES.includes(v.type)) return `type must be one of ${CHOICE_TYPES.join(', ')}`;
  if (v.disable_parallel_tool_use !== undefined && typeof v.disable_parallel_tool_use !== 'boolean') return 'disable_parallel_tool_use must be a boolean';
  if (v.type === 'tool' && !(typeof v.name === 'string' && Array.isArray(tools) && tools.some((t) => t?.name === v.name))) return "type 'tool' needs the name of one of the tools";
  return null;
}

const IsAnthropicToolChoice = (o?: ValidationOptions) =>
  ValidateBy({
    name: 'isAnthropicToolChoice',
    validator: {
      validate: (v, a) => toolChoiceProblem(v, (a?.object as MessagesPromptDto).tools) === null,
      defaultMessage: (a) => `$property: ${toolChoiceProblem(a?.value, (a?.object as MessagesPromptDto).tools)}`,
    },
  }, o);

export class AnthropicMessageDto {
  @IsDefined({ message: '$property is required' })
  @IsIn(ROLES, { message: `$property must be one of ${ROLES.join(', ')}` })
  role: string;

  @IsDefined({ message: '$property is required' })
  @IsMessageContent()
  content: unknown;
}

/** A custom tool. Anthropic's own tools (web search, code execution, ...) have a `type` and are not translated. */
class AnthropicToolDto {
  @IsOptional() @IsIn(['custom'], { message: "$property must be 'custom' or left out: only custom tools (name, description, input_schema) are supported" }) type?: string;
  @Matches(TOOL_NAME, { message: "$property must be 1-128 letters, digits, '_' or '-'" }) @IsString() name: string;
  @IsOptional() @IsString() description?: string;
  @IsDefined({ message: '$property is required' }) @IsObject() input_schema: Record<string, unknown>;
  @IsOptional() @IsBoolean() strict?: boolean;
}

/** The prompt of a Messages request: what creating a message and counting its tokens (`count_tokens`) both read. */
export class MessagesPromptDto extends CreateBodyDto {
  @IsDefined({ message: '$property is required' })
  @ValidateNested({ each: true })
  @Type(() => AnthropicMessageDto)
  @ArrayNotEmpty({ message: '$property must contain at least one message' })
  @IsArray({ message: '$property must be an array of messages' })
  messages: AnthropicMessageDto[];

  @IsOptional() @IsTextContent(['text']) system?: unknown;

  /** Tools the model may call (the answer's tool_use blocks) */
  @IsOptional() @ValidateNested({ each: true }) @Type(() => AnthropicToolDto) @IsArray() tools?: AnthropicToolDto[];
  @IsOptional() @IsAnthropicToolChoice() tool_choice?: unknown;
}

/** The fields of an Anthropic Messages request that ReqRun itself reads; everything else passes through. */
export class CreateMessageDto extends MessagesPromptDto {
  @IsDefined({ message: '$property is required' })
  @Min(1)
  @IsInt()
  max_tokens: number;

  @IsOptional() @IsArray() @IsString({ each: true }) stop_sequences?: string[];
  @IsOptional() @IsNumber() @Min(0) @Max(1) temperature?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) top_p?: number;
  @IsOptional() @IsInt() @Min(0) top_k?: number;
  @IsOptional() @IsObject() metadata?: Record<string, unknown>;
}

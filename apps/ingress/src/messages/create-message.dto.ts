import {
  ArrayNotEmpty, IsArray, IsBoolean, IsDefined, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, Min, ValidateBy, type ValidationOptions,
} from 'class-validator';
import { dataUrl, INLINE_IMAGE_TYPES, parseDataUrl, thinkingProblem } from '@reqrun/translate';
import { CreateBodyDto } from '../submit/create-body.dto.js';
import { EachOf } from '../submit/validate-body.js';
import { IsTextContent, textContentProblem } from '../submit/text-content.validator.js';

const ROLES = ['user', 'assistant', 'system'];
/**
 * The content blocks ReqRun translates, by role: an assistant turn calls tools and sends its thinking back, a user
 * turn gives the tools' results and images.
 */
const BLOCKS: Record<string, string[]> = { user: ['text', 'image', 'tool_result'], assistant: ['text', 'tool_use', 'thinking', 'redacted_thinking'], system: ['text'] };
/** The role a block is only for. */
const ONLY_FOR: Record<string, string> = { tool_use: 'assistant', thinking: 'assistant', redacted_thinking: 'assistant', tool_result: 'user', image: 'user' };
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const CHOICE_TYPES = ['auto', 'any', 'tool', 'none'];

const SOURCES = "{type: 'base64', media_type, data} or {type: 'url', url}";

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isId = (v: unknown) => typeof v === 'string' && v !== '';
/** `a`, `a or b`, `a, b or c`. */
const oneOf = (xs: string[]) => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}` : xs.join(''));

/**
 * What is wrong with a turn's content: a string, or blocks of the types its role may send (tool_use on assistant
 * turns, tool_result and image on user turns, text on any). Null when nothing is. Other blocks (documents, ...) are
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
    if (Object.hasOwn(ONLY_FOR, b.type)) return `of type '${b.type}' is only for ${ONLY_FOR[b.type]} turns`;
    return `has type '${b.type}', which ReqRun cannot translate yet (send ${oneOf(types)} parts)`;
  }
  switch (b.type) {
    case 'image': {
      const source = imageSourceProblem(b.source);
      return source ? `(image) ${source}` : null;
    }
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
    case 'thinking': // its text is empty when Anthropic omitted it (display: omitted); the signature never is
      if (typeof b.thinking !== 'string') return '(thinking) needs a thinking string';
      return isId(b.signature) ? null : '(thinking) needs a signature string';
    case 'redacted_thinking':
      return isId(b.data) ? null : '(redacted_thinking) needs a data string';
    default:
      return typeof b.text === 'string' ? null : 'must have a text string';
  }
}

/**
 * What is wrong with an image block's source: `{type: 'base64', media_type, data}` of a type every provider takes
 * inline, or `{type: 'url', url}` (http or https). Other sources (`file`: an upload to Anthropic's Files API) are
 * refused, as no other provider could read them.
 */
function imageSourceProblem(s: unknown): string | null {
  if (!isObject(s) || typeof s.type !== 'string') return `needs a source: ${SOURCES}`;
  switch (s.type) {
    case 'base64':
      if (!INLINE_IMAGE_TYPES.includes(s.media_type)) return `source media_type must be one of ${INLINE_IMAGE_TYPES.join(', ')}`;
      // checked as the data URL it is translated to, so every provider gets the bytes as sent
      return typeof s.data === 'string' && s.data.trim() !== '' && parseDataUrl(dataUrl(s.media_type, s.data)) ? null : 'source data must be a non-empty base64 string';
    case 'url':
      return typeof s.url === 'string' && /^https?:\/\/./i.test(s.url) ? null : 'source url must be an http(s) URL';
    default:
      return `source has type '${s.type}', which ReqRun cannot translate yet (send ${SOURCES})`;
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

/** A valid `thinking` whose budget is under the request's `max_tokens` (as Anthropic requires), when it sets one. */
function thinkingInBodyProblem(v: unknown, body: unknown): string | null {
  const problem = thinkingProblem(v);
  if (problem) return problem;
  const max = (body as { max_tokens?: unknown } | undefined)?.max_tokens;
  const t = v as { type: string; budget_tokens?: number };
  return t.type === 'enabled' && Number.isInteger(max) && t.budget_tokens! >= (max as number)
    ? `budget_tokens (${t.budget_tokens}) must be less than max_tokens (${max})`
    : null;
}

const IsThinking = (o?: ValidationOptions) =>
  ValidateBy({
    name: 'isThinking',
    validator: {
      validate: (v, a) => thinkingInBodyProblem(v, a?.object) === null,
      defaultMessage: (a) => `$property: ${thinkingInBodyProblem(a?.value, a?.object)}`,
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
  @EachOf(() => AnthropicMessageDto)
  @ArrayNotEmpty({ message: '$property must contain at least one message' })
  @IsArray({ message: '$property must be an array of messages' })
  messages: AnthropicMessageDto[];

  @IsOptional() @IsTextContent(['text']) system?: unknown;

  /** Tools the model may call (the answer's tool_use blocks) */
  @IsOptional() @EachOf(() => AnthropicToolDto) @IsArray() tools?: AnthropicToolDto[];
  @IsOptional() @IsAnthropicToolChoice() tool_choice?: unknown;
  /** Extended thinking: sent to Anthropic providers (and counted); refused for a model an OpenAI-compatible provider may answer (checkTargetsServe). */
  @IsOptional() @IsThinking() thinking?: unknown;
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

import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayNotEmpty, IsArray, IsBoolean, IsDefined, IsIn, IsInt, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, Max, Min,
  ValidateBy, ValidateIf, ValidateNested, type ValidationOptions,
} from 'class-validator';
import { CreateBodyDto } from '../submit/create-body.dto.js';
import { IsOutputFormat } from '../submit/output-format.validator.js';
import { IsUserContent } from '../submit/text-content.validator.js';
import { FunctionDto, IsToolChoice } from '../submit/tools.validator.js';
import { EachOf, plainChecks, plainCreateBody } from '../submit/validate-body.js';

/** Turns a plain body has (no tool results). */
const TEXT_ROLES = ['system', 'developer', 'user', 'assistant'];
/** `function` turns (the older tool results) are not taken: send them as `tool` turns. */
const ROLES = [...TEXT_ROLES, 'tool'];

class ChatFunctionCallDto {
  @IsString() name: string;
  @IsString() arguments: string;
}

class ChatToolCallDto {
  @IsNotEmpty() @IsString() id: string;
  @IsIn(['function'], { message: "$property must be 'function'" }) type: string;
  @IsDefined({ message: '$property is required' }) @ValidateNested() @Type(() => ChatFunctionCallDto) function: ChatFunctionCallDto;
}

/** Only an assistant turn carries tool calls. */
const OnAssistantTurn = (o?: ValidationOptions) =>
  ValidateBy({ name: 'onAssistantTurn', validator: { validate: (_v, a) => (a?.object as ChatMessageDto).role === 'assistant', defaultMessage: () => '$property are only for assistant turns' } }, o);

export class ChatMessageDto {
  @IsString()
  @IsIn(ROLES, { message: `$property must be one of ${ROLES.join(', ')} (a function result goes in a tool turn)` })
  role: string;

  /** An assistant turn that calls tools may have no content. */
  @ValidateIf((m: ChatMessageDto) => !(m.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0 && (m.content === null || m.content === undefined)))
  @IsDefined({ message: '$property is required' })
  @IsUserContent(['text'], { type: 'image_url', url: (p) => p.image_url?.url })
  content: unknown;

  @IsOptional() @EachOf(() => ChatToolCallDto) @IsArray() @OnAssistantTurn() tool_calls?: ChatToolCallDto[];

  /** A tool turn answers one call. */
  @ValidateIf((m: ChatMessageDto) => m.role === 'tool') @IsNotEmpty({ message: '$property is required on a tool turn' }) @IsString({ message: '$property is required on a tool turn' }) tool_call_id?: string;
}

class ChatToolDto {
  @IsIn(['function'], { message: "$property must be 'function' (other tool types are not supported)" }) type: string;
  @IsDefined({ message: '$property is required' }) @ValidateNested() @Type(() => FunctionDto) function: FunctionDto;
}

/** The fields of a chat completion request that ReqRun itself reads; everything else passes through. */
export class ChatCompletionDto extends CreateBodyDto {
  @EachOf(() => ChatMessageDto)
  @IsArray({ message: '$property is required and must be an array of messages' })
  @ArrayNotEmpty({ message: '$property must contain at least one message' })
  messages: ChatMessageDto[];

  @IsOptional() @IsInt() @Min(1) max_tokens?: number;
  @IsOptional() @IsInt() @Min(1) max_completion_tokens?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) top_p?: number;
  @IsOptional() @IsObject() metadata?: Record<string, unknown>;
  /** `include_usage`: a last chunk with the usage (read by the stream encoder). */
  @IsOptional() @IsObject() stream_options?: { include_usage?: boolean };

  /** Functions the model may call (the answer's `tool_calls`) */
  @IsOptional() @EachOf(() => ChatToolDto) @IsArray() tools?: ChatToolDto[];
  @IsOptional() @IsToolChoice((c) => c.function?.name, (t) => t?.function?.name, "{type: 'function', function: {name}}") tool_choice?: unknown;
  @IsOptional() @IsBoolean() parallel_tool_calls?: boolean;

  /** The older form of `tools`: refused rather than dropped. */
  @IsOptional() @ArrayMaxSize(0, { message: "$property is the older form of tools: send them as tools" }) @IsArray() functions?: unknown[];

  /** Text, JSON mode or a JSON schema; other formats are refused, not ignored. */
  @IsOptional() @IsOutputFormat('chat') response_format?: unknown;
  // What the answer's shape would need and ReqRun cannot give yet (one choice, no logprobs): refused, not ignored.
  @IsOptional() @Max(1, { message: '$property must be 1: ReqRun returns one choice' }) @Min(1) @IsInt() n?: number;
  @IsOptional() @IsIn([false], { message: '$property cannot be returned through ReqRun yet: leave it out or set it to false' }) logprobs?: boolean;
  @IsOptional() @IsIn([0], { message: '$property cannot be returned through ReqRun yet: leave it out' }) top_logprobs?: number;
}

/** The optional fields ChatCompletionDto checks: a plain body has none of them (and `tools` empty, see plainCreateBody). */
const CHECKED = ['max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'metadata', 'stream_options', 'tool_choice', 'parallel_tool_calls', 'functions', 'response_format', 'n', 'logprobs', 'top_logprobs'];

/** Bodies ChatCompletionDto certainly accepts: text messages with known roles, none of its checked optional fields set. */
export function plainChat(b: Record<string, unknown>): boolean {
  const m = b.messages;
  return (
    plainCreateBody(b) && Array.isArray(m) && m.length > 0 &&
    m.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x) && TEXT_ROLES.includes(x.role) && typeof x.content === 'string' && x.tool_calls === undefined) &&
    CHECKED.every((k) => b[k] === undefined)
  );
}
plainChecks.set(ChatCompletionDto, plainChat);

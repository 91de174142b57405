import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayNotEmpty, IsArray, IsDefined, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Max, Min, ValidateNested,
} from 'class-validator';
import { CreateBodyDto, noTools } from '../submit/create-body.dto.js';
import { IsOutputFormat } from '../submit/output-format.validator.js';
import { IsTextContent } from '../submit/text-content.validator.js';
import { plainChecks, plainCreateBody } from '../submit/validate-body.js';

/** Tool and function turns carry tool results, which are not translated yet (see `noTools`). */
const ROLES = ['system', 'developer', 'user', 'assistant'];

export class ChatMessageDto {
  @IsString()
  @IsIn(ROLES, { message: `$property must be one of ${ROLES.join(', ')} (tool results cannot be translated yet)` })
  role: string;

  @IsDefined({ message: '$property is required' })
  @IsTextContent(['text'])
  content: unknown;

  /** An assistant turn's tool calls: refused like `tools`. */
  @IsOptional() @ArrayMaxSize(0, { message: noTools }) @IsArray() tool_calls?: unknown[];
}

/** The fields of a chat completion request that ReqRun itself reads; everything else passes through. */
export class ChatCompletionDto extends CreateBodyDto {
  @IsArray({ message: '$property is required and must be an array of messages' })
  @ArrayNotEmpty({ message: '$property must contain at least one message' })
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages: ChatMessageDto[];

  @IsOptional() @IsInt() @Min(1) max_tokens?: number;
  @IsOptional() @IsInt() @Min(1) max_completion_tokens?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) top_p?: number;
  @IsOptional() @IsObject() metadata?: Record<string, unknown>;
  /** `include_usage`: a last chunk with the usage (read by the stream encoder). */
  @IsOptional() @IsObject() stream_options?: { include_usage?: boolean };

  /** The older form of `tools`: refused the same way. */
  @IsOptional() @ArrayMaxSize(0, { message: noTools }) @IsArray() functions?: unknown[];

  /** Text, JSON mode or a JSON schema; other formats are refused, not ignored. */
  @IsOptional() @IsOutputFormat('chat') response_format?: unknown;
  // What the answer's shape would need and ReqRun cannot give yet (one choice, no logprobs): refused, not ignored.
  @IsOptional() @Max(1, { message: '$property must be 1: ReqRun returns one choice' }) @Min(1) @IsInt() n?: number;
  @IsOptional() @IsIn([false], { message: '$property cannot be returned through ReqRun yet: leave it out or set it to false' }) logprobs?: boolean;
  @IsOptional() @IsIn([0], { message: '$property cannot be returned through ReqRun yet: leave it out' }) top_logprobs?: number;
}

/** The optional fields ChatCompletionDto checks: a plain body has none of them. */
const CHECKED = ['max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'metadata', 'stream_options', 'functions', 'response_format', 'n', 'logprobs', 'top_logprobs'];

/** Bodies ChatCompletionDto certainly accepts: text messages with known roles, none of its checked optional fields set. */
export function plainChat(b: Record<string, unknown>): boolean {
  const m = b.messages;
  return (
    plainCreateBody(b) && Array.isArray(m) && m.length > 0 &&
    m.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x) && ROLES.includes(x.role) && typeof x.content === 'string' && x.tool_calls === undefined) &&
    CHECKED.every((k) => b[k] === undefined)
  );
}
plainChecks.set(ChatCompletionDto, plainChat);

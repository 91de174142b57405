import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayNotEmpty, IsArray, IsDefined, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Max, Min, ValidateNested,
  ValidateBy, type ValidationOptions,
} from 'class-validator';
import { CreateBodyDto, noTools } from '../submit/create-body.dto.js';
import { plainChecks, plainCreateBody } from '../submit/validate-body.js';

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];

/** Chat content: a string, null (assistant turns with tool calls), or an array of parts. */
const IsChatContent = (o?: ValidationOptions) =>
  ValidateBy({
    name: 'isChatContent',
    validator: {
      validate: (v) => v === null || typeof v === 'string' || (Array.isArray(v) && v.every((p) => p !== null && typeof p === 'object' && typeof p.type === 'string')),
      defaultMessage: () => '$property must be a string or an array of content parts',
    },
  }, o);

export class ChatMessageDto {
  @IsString()
  @IsIn(ROLES, { message: `$property must be one of ${ROLES.join(', ')}` })
  role: string;

  @IsDefined({ message: '$property is required' })
  @IsChatContent()
  content: unknown;
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
}

/** Bodies ChatCompletionDto certainly accepts: text messages with known roles, none of its optional numbers set. */
export function plainChat(b: Record<string, unknown>): boolean {
  const m = b.messages;
  return (
    plainCreateBody(b) && Array.isArray(m) && m.length > 0 &&
    m.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x) && ROLES.includes(x.role) && typeof x.content === 'string') &&
    b.functions === undefined && b.max_tokens === undefined && b.max_completion_tokens === undefined && b.temperature === undefined && b.top_p === undefined && b.metadata === undefined
  );
}
plainChecks.set(ChatCompletionDto, plainChat);

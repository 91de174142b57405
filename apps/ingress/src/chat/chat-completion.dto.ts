import { Type } from 'class-transformer';
import {
  ArrayNotEmpty, IsArray, IsBoolean, IsDefined, IsIn, IsInt, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, Max, MaxLength, Min, ValidateNested,
  ValidateBy, type ValidationOptions,
} from 'class-validator';

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
export class ChatCompletionDto {
  @IsString({ message: '$property is required and must be a string' })
  @IsNotEmpty()
  model: string;

  @IsArray({ message: '$property is required and must be an array of messages' })
  @ArrayNotEmpty({ message: '$property must contain at least one message' })
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages: ChatMessageDto[];

  @IsOptional() @IsBoolean() stream?: boolean;
  @IsOptional() @IsInt() @Min(1) max_tokens?: number;
  @IsOptional() @IsInt() @Min(1) max_completion_tokens?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) top_p?: number;
  @IsOptional() @IsObject() metadata?: Record<string, unknown>;

  // ReqRun extensions
  @IsOptional() @IsBoolean() wait?: boolean;
  @IsOptional() @IsNumber() @Min(0) wait_timeout?: number;
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) idempotency_key?: string;
  @IsOptional() @IsString() completion_window?: string;
}

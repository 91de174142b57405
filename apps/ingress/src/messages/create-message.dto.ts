import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayNotEmpty, IsArray, IsDefined, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Max, Min, ValidateNested,
} from 'class-validator';
import { CreateBodyDto, noTools } from '../submit/create-body.dto.js';
import { IsTextContent } from '../submit/text-content.validator.js';

const ROLES = ['user', 'assistant', 'system'];

export class AnthropicMessageDto {
  @IsDefined({ message: '$property is required' })
  @IsIn(ROLES, { message: `$property must be one of ${ROLES.join(', ')}` })
  role: string;

  @IsDefined({ message: '$property is required' })
  @IsTextContent(['text'])
  content: unknown;
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

  /** Tool calling is built for chat only: refused here, since dropping tools would answer as if there were none. */
  @IsOptional() @ArrayMaxSize(0, { message: noTools }) @IsArray() tools?: unknown[];
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

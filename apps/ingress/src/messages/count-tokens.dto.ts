import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsDefined, IsNotEmpty, IsOptional, IsString, ValidateNested } from 'class-validator';
import { IsTextContent } from '../submit/text-content.validator.js';
import { AnthropicMessageDto } from './create-message.dto.js';

/** `POST /v1/messages/count_tokens`: the prompt of a Messages request (no max_tokens, sampling or ReqRun extensions). */
export class CountTokensDto {
  @IsDefined({ message: '$property is required' })
  @IsNotEmpty()
  @IsString()
  model: string;

  @IsDefined({ message: '$property is required' })
  @ValidateNested({ each: true })
  @Type(() => AnthropicMessageDto)
  @ArrayNotEmpty({ message: '$property must contain at least one message' })
  @IsArray({ message: '$property must be an array of messages' })
  messages: AnthropicMessageDto[];

  @IsOptional() @IsTextContent(['text']) system?: unknown;
}

import { IsBoolean, IsDefined, IsNotEmpty, IsNumber, IsOptional, IsString, MaxLength, Min } from 'class-validator';

/** Why a Responses or Messages request with tools is refused (tool calling is built for chat only). */
export const noTools = '$property cannot be used through ReqRun with this API yet: it would answer as if there were no tools. Send the request without them, or through /v1/chat/completions, which takes tools.';

/**
 * What every create body carries, whatever its API: `model`, `stream` and ReqRun's extensions.
 * Each API's DTO extends it. class-validator checks IsDefined first, then the bottom-most decorator first.
 */
export class CreateBodyDto {
  @IsDefined({ message: '$property is required' })
  @IsNotEmpty()
  @IsString()
  model: string;

  @IsOptional() @IsBoolean() stream?: boolean;

  @IsOptional() @IsBoolean() wait?: boolean;
  @IsOptional() @IsNumber() @Min(0) wait_timeout?: number;
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) idempotency_key?: string;
  @IsOptional() @IsString() completion_window?: string;
}

import { ArrayMaxSize, IsArray, IsBoolean, IsDefined, IsNotEmpty, IsNumber, IsOptional, IsString, MaxLength, Min } from 'class-validator';

/** Why a request with tools is refused (`$property` is the field: `tools`, or chat's older `functions`). */
export const noTools = '$property cannot be used through ReqRun yet: it translates text only and would answer as if there were no tools. Send the request without them.';

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

  /** Tool definitions are not translated yet: refused, since dropping them would answer as if there were none. */
  @IsOptional() @ArrayMaxSize(0, { message: noTools }) @IsArray() tools?: unknown[];
}

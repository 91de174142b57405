import { IsBoolean, IsDefined, IsNotEmpty, IsNumber, IsOptional, IsString, MaxLength, Min } from 'class-validator';

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

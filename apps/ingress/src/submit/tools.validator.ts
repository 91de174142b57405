import { IsBoolean, IsObject, IsOptional, IsString, Matches, ValidateBy, type ValidationOptions } from 'class-validator';

/** A function's name, as OpenAI takes it. */
export const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** A function the model may call, as both OpenAI APIs describe it (chat nests it under `function`, Responses does not). */
export class FunctionDto {
  @Matches(FUNCTION_NAME, { message: "$property must be 1-64 letters, digits, '_' or '-'" }) @IsString() name: string;
  @IsOptional() @IsString() description?: string | null;
  @IsOptional() @IsObject() parameters?: Record<string, unknown> | null;
  @IsOptional() @IsBoolean() strict?: boolean | null;
}

/**
 * `auto`, `none`, `required`, or an object naming one of the request's tools: `named` reads the name out of such a
 * choice and `toolName` out of a tool (chat nests both under `function`, Responses does not).
 */
export const IsToolChoice = (named: (choice: any) => unknown, toolName: (tool: any) => unknown, shape: string, o?: ValidationOptions) =>
  ValidateBy({
    name: 'isToolChoice',
    validator: {
      validate: (v, a) => {
        if (v === 'auto' || v === 'none' || v === 'required') return true;
        const name = v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'function' ? named(v) : undefined;
        const tools = (a?.object as { tools?: unknown }).tools;
        return typeof name === 'string' && Array.isArray(tools) && tools.some((t) => toolName(t) === name);
      },
      defaultMessage: () => `$property must be auto, none, required, or ${shape} naming one of the tools`,
    },
  }, o);

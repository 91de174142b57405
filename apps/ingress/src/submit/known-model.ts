import type { Config, ModelConfig } from '@reqrun/config';
import { Api, badRequest, ErrorCode, ReqRunError } from '@reqrun/contracts';

/** The model's configuration; 404 when ReqRun does not serve a model of that name. */
export function knownModel(config: Config, model: string): ModelConfig {
  if (Object.hasOwn(config.models, model)) return config.models[model];
  const known = Object.keys(config.models).join(', ');
  throw new ReqRunError(ErrorCode.ModelNotFound, `The model '${model}' does not exist or you do not have access to it. Known models: ${known}.`, 404, 'model');
}

/** What a create body asks for that ReqRun cannot ask an Anthropic provider for, and the field that asks. */
function beyondAnthropic(api: Api, body: Record<string, any>): { what: string; param: string } | null {
  if (api === Api.Chat) {
    if (Array.isArray(body.tools) && body.tools.length > 0) return { what: 'tool calls', param: 'tools' };
    if (Array.isArray(body.messages) && body.messages.some((m: any) => m?.role === 'tool' || m?.tool_calls?.length)) return { what: 'tool calls', param: 'messages' };
  }
  const [format, param] = api === Api.Chat ? [body.response_format, 'response_format'] : api === Api.Responses ? [body.text?.format, 'text.format'] : [];
  const type = format?.type;
  return type === 'json_object' || type === 'json_schema' ? { what: `${type} output`, param: param! } : null;
}

/**
 * JSON answer formats and chat's tools are passed on to OpenAI-compatible providers and the mock; ReqRun cannot
 * (yet) translate them for an Anthropic provider, so a model with any target there (a fallback included) refuses
 * them with a 400 rather than answer in free text or as if there were no tools.
 */
export function checkTargetsServe(config: Config, model: ModelConfig, name: string, api: Api, body: Record<string, unknown>): void {
  const asked = beyondAnthropic(api, body);
  if (!asked) return;
  const anthropic = model.targets.find((t) => config.providers.find((p) => p.name === t.provider)?.type === 'anthropic');
  if (anthropic) {
    throw badRequest(`The model '${name}' may be answered by the Anthropic provider '${anthropic.provider}', which ReqRun cannot ask for ${asked.what}. Leave ${asked.param} out, or use a model served by OpenAI-compatible providers.`, asked.param);
  }
}

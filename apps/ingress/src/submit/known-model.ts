import type { Config, ModelConfig } from '@reqrun/config';
import { Api, badRequest, ErrorCode, ReqRunError } from '@reqrun/contracts';

/** The model's configuration; 404 when ReqRun does not serve a model of that name. */
export function knownModel(config: Config, model: string): ModelConfig {
  if (Object.hasOwn(config.models, model)) return config.models[model];
  const known = Object.keys(config.models).join(', ');
  throw new ReqRunError(ErrorCode.ModelNotFound, `The model '${model}' does not exist or you do not have access to it. Known models: ${known}.`, 404, 'model');
}

/** The JSON answer format a create body asks for (chat's `response_format`, Responses' `text.format`), and its field. */
function jsonFormatOf(api: Api, body: Record<string, any>): { type: string; param: string } | null {
  const [format, param] = api === Api.Chat ? [body.response_format, 'response_format'] : api === Api.Responses ? [body.text?.format, 'text.format'] : [];
  const type = format?.type;
  return type === 'json_object' || type === 'json_schema' ? { type, param: param! } : null;
}

/**
 * JSON answer formats are passed on to OpenAI-compatible providers and the mock; ReqRun cannot (yet) ask an
 * Anthropic provider for one, so a model with any target there (a fallback included) refuses them with a 400
 * rather than answer in free text. (Tools and tool turns go to every provider type; the Messages API has no JSON
 * format field ReqRun reads.)
 */
export function checkTargetsServe(config: Config, model: ModelConfig, name: string, api: Api, body: Record<string, unknown>): void {
  const json = jsonFormatOf(api, body);
  if (!json) return;
  const anthropic = model.targets.find((t) => config.providers.find((p) => p.name === t.provider)?.type === 'anthropic');
  if (anthropic) {
    throw badRequest(`The model '${name}' may be answered by the Anthropic provider '${anthropic.provider}', which ReqRun cannot ask for ${json.type} output. Leave ${json.param} out, or use a model served by OpenAI-compatible providers.`, json.param);
  }
}

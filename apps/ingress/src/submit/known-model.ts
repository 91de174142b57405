import type { Config, ModelConfig } from '@reqrun/config';
import { Api, badRequest, ErrorCode, ReqRunError } from '@reqrun/contracts';
import { thinkingOf, thinks } from '@reqrun/translate';

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

/** The model's first target (a fallback included) on a provider of that type. */
function targetOfType(config: Config, model: ModelConfig, type: string): ModelConfig['targets'][number] | undefined {
  return model.targets.find((t) => config.providers.find((p) => p.name === t.provider)?.type === type);
}

/**
 * What a model's providers cannot do is refused with a 400 naming the field, for a model with any target (a fallback
 * included) that cannot, rather than have that one answer without it. (Tools and tool turns go to every provider type.)
 */
export function checkTargetsServe(config: Config, model: ModelConfig, name: string, api: Api, body: Record<string, unknown>): void {
  checkJsonFormat(config, model, name, api, body);
  checkThinking(config, model, name, api, body);
}

/** JSON answer formats are passed on to OpenAI-compatible providers and the mock; ReqRun cannot (yet) ask an Anthropic provider for one. */
function checkJsonFormat(config: Config, model: ModelConfig, name: string, api: Api, body: Record<string, unknown>): void {
  const json = jsonFormatOf(api, body);
  const anthropic = json && targetOfType(config, model, 'anthropic');
  if (!json || !anthropic) return;
  throw badRequest(`The model '${name}' may be answered by the Anthropic provider '${anthropic.provider}', which ReqRun cannot ask for ${json.type} output. Leave ${json.param} out, or use a model served by OpenAI-compatible providers.`, json.param);
}

/** Anthropic's extended thinking (Messages' `thinking`) goes to Anthropic providers and the mock; an OpenAI-compatible one cannot think in its blocks. */
function checkThinking(config: Config, model: ModelConfig, name: string, api: Api, body: Record<string, unknown>): void {
  const openai = api === Api.Messages && thinks(thinkingOf(body.thinking)) && targetOfType(config, model, 'openai');
  if (!openai) return;
  throw badRequest(`The model '${name}' may be answered by the OpenAI-compatible provider '${openai.provider}', which cannot think in Anthropic's thinking blocks. Leave thinking out (or disabled), or use a model served by Anthropic providers.`, 'thinking');
}

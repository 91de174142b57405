import type { Config, ModelConfig } from '@reqrun/config';
import { ErrorCode, ReqRunError } from '@reqrun/contracts';

/** The model's configuration; 404 when ReqRun does not serve a model of that name. */
export function knownModel(config: Config, model: string): ModelConfig {
  if (Object.hasOwn(config.models, model)) return config.models[model];
  const known = Object.keys(config.models).join(', ');
  throw new ReqRunError(ErrorCode.ModelNotFound, `The model '${model}' does not exist or you do not have access to it. Known models: ${known}.`, 404, 'model');
}

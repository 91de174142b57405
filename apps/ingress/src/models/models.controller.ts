import { Controller, Get, Inject, Param } from '@nestjs/common';
import type { Config, ModelConfig } from '@reqrun/config';
import { ErrorCode, ReqRunError } from '@reqrun/contracts';
import { CONFIG } from '@reqrun/runtime';

/**
 * The configured models in OpenAI's shape. `created` is 0 (a model alias has no creation date); `owned_by` names the
 * provider of its first target.
 */
const modelView = (id: string, m: ModelConfig) => ({ id, object: 'model' as const, created: 0, owned_by: m.targets[0]?.provider ?? 'reqrun' });

@Controller('v1/models')
export class ModelsController {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  @Get()
  list() {
    return { object: 'list' as const, data: Object.entries(this.config.models).map(([id, m]) => modelView(id, m)) };
  }

  @Get(':id')
  get(@Param('id') id: string) {
    const m = Object.hasOwn(this.config.models, id) ? this.config.models[id] : undefined;
    if (!m) throw new ReqRunError(ErrorCode.ModelNotFound, `The model '${id}' does not exist or you do not have access to it.`, 404, 'model');
    return modelView(id, m);
  }
}

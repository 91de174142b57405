import { Controller, Get, Inject, Param } from '@nestjs/common';
import type { Config, ModelConfig } from '@reqrun/config';
import { ErrorCode, ReqRunError } from '@reqrun/contracts';
import { CONFIG } from '@reqrun/runtime';
import { mayUse, type Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';

/**
 * The configured models the caller may use, in OpenAI's shape. `created` is 0 (a model alias has no creation date); `owned_by` names the
 * provider of its first target.
 */
const modelView = (id: string, m: ModelConfig) => ({ id, object: 'model' as const, created: 0, owned_by: m.targets[0]?.provider ?? 'reqrun' });

@Controller('v1/models')
export class ModelsController {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  @Get()
  list(@CallerTenant() tenant: Tenant) {
    return { object: 'list' as const, data: Object.entries(this.config.models).filter(([id]) => mayUse(tenant, id)).map(([id, m]) => modelView(id, m)) };
  }

  /** A model the caller may not use is as unknown as one that does not exist. */
  @Get(':id')
  get(@Param('id') id: string, @CallerTenant() tenant: Tenant) {
    const m = Object.hasOwn(this.config.models, id) && mayUse(tenant, id) ? this.config.models[id] : undefined;
    if (!m) throw new ReqRunError(ErrorCode.ModelNotFound, `The model '${id}' does not exist or you do not have access to it.`, 404, 'model');
    return modelView(id, m);
  }
}

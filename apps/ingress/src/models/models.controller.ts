import { Controller, Get, Headers, Inject, Param, Query } from '@nestjs/common';
import type { Config, ModelConfig } from '@reqrun/config';
import { ErrorCode, ReqRunError } from '@reqrun/contracts';
import { CONFIG } from '@reqrun/runtime';
import { mayUse, type Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';
import { anthropicList, readAnthropicPageQuery } from '../paging/anthropic-page.js';

/**
 * The configured models the caller may use, in OpenAI's shape, or in Anthropic's when the caller sends
 * `anthropic-version` (as Anthropic's SDKs always do). A model alias has no release date: OpenAI's `created` is 0 and
 * Anthropic's `created_at` the epoch (what Anthropic sends for an unknown date); `owned_by` names the provider of its
 * first target.
 */
const openAIView = (id: string, m: ModelConfig) => ({ id, object: 'model' as const, created: 0, owned_by: m.targets[0]?.provider ?? 'reqrun' });
const anthropicView = (id: string) => ({
  type: 'model' as const, id, display_name: id, created_at: '1970-01-01T00:00:00Z',
  capabilities: null, deprecated_at: null, lifecycle: 'active' as const, line: null, max_input_tokens: null, max_tokens: null, retires_at: null,
});

/** Anthropic's page of the model ids: `limit` ids after `after_id`, or before `before_id`. */
function anthropicPage(ids: string[], query: Record<string, unknown>) {
  const q = readAnthropicPageQuery(query);
  const at = (id: string, name: string) => {
    const i = ids.indexOf(id);
    if (i < 0) throw new ReqRunError(ErrorCode.InvalidRequest, `${name}: no model '${id}' in this list.`, 400, name);
    return i;
  };
  const before = q.before_id !== undefined ? at(q.before_id, 'before_id') : undefined;
  const start = before !== undefined ? Math.max(0, before - q.limit) : q.after_id !== undefined ? at(q.after_id, 'after_id') + 1 : 0;
  const end = before ?? Math.min(ids.length, start + q.limit);
  const page = ids.slice(start, end);
  return anthropicList(page.map(anthropicView), page.length > 0 && (before !== undefined ? start > 0 : end < ids.length));
}

@Controller('v1/models')
export class ModelsController {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  @Get()
  list(@CallerTenant() tenant: Tenant, @Headers('anthropic-version') anthropic?: string, @Query() q: Record<string, string> = {}) {
    const usable = Object.entries(this.config.models).filter(([id]) => mayUse(tenant, id));
    if (anthropic) return anthropicPage(usable.map(([id]) => id), q);
    return { object: 'list' as const, data: usable.map(([id, m]) => openAIView(id, m)) };
  }

  /** A model the caller may not use is as unknown as one that does not exist. */
  @Get(':id')
  get(@Param('id') id: string, @CallerTenant() tenant: Tenant, @Headers('anthropic-version') anthropic?: string) {
    const m = Object.hasOwn(this.config.models, id) && mayUse(tenant, id) ? this.config.models[id] : undefined;
    if (!m) throw new ReqRunError(ErrorCode.ModelNotFound, `The model '${id}' does not exist or you do not have access to it.`, 404, 'model');
    return anthropic ? anthropicView(id) : openAIView(id, m);
  }
}

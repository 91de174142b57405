import type { Config, ModelTarget } from '@reqrun/config';
import { isLimited, type CanonicalRequest, type LimitSpec } from '@reqrun/contracts';
import { estimateTokens } from '@reqrun/translate';

/** A limit scope an attempt must reserve in: the request's tenant, the target's provider. */
export interface Scope {
  scope: string;
  spec: LimitSpec;
}

/**
 * The limited scopes an attempt for `tenant` on `target` reserves in: the tenant, the target's provider, the
 * provider's model (`target.<provider>.<model, base64url>`: a KV key allows few characters, a model name many).
 * A tenant absent from the config is unlimited.
 */
export function scopesFor(config: Config, tenant: string, target: Pick<ModelTarget, 'provider' | 'model' | 'limits'>): Scope[] {
  const out: Scope[] = [];
  const t = config.tenants.find((x) => x.name === tenant)?.limits;
  if (isLimited(t)) out.push({ scope: `tenant.${tenant}`, spec: t });
  const p = config.providers.find((x) => x.name === target.provider)?.limits;
  if (isLimited(p)) out.push({ scope: `provider.${target.provider}`, spec: p });
  if (isLimited(target.limits)) out.push({ scope: `target.${target.provider}.${Buffer.from(target.model ?? '').toString('base64url')}`, spec: target.limits });
  return out;
}

/** Output reserved when the request sets no token cap; the real usage replaces it when the attempt ends. */
export const DEFAULT_OUTPUT_RESERVE = 1024;

/** Tokens reserved before dispatch: the prompt's estimate plus the most it may answer. */
export function reserveTokens(req: CanonicalRequest): number {
  const prompt = [...(req.system ? [req.system] : []), ...req.messages.map((m) => m.content)].join('\n');
  return estimateTokens(prompt) + (req.max_tokens ?? DEFAULT_OUTPUT_RESERVE);
}

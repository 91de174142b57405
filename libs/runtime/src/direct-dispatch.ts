import type { Config } from '@reqrun/config';
import { isClosed, isLimited, type BreakerState, type Window } from '@reqrun/contracts';

export interface DirectTarget {
  provider: string;
  provider_model: string;
}

/**
 * Where a new request goes when the scheduler would have nothing to decide: the asap window (never held, never on the
 * background lane, cannot have expired yet), a model with one target, no rate limit or queue cap on its tenant, on
 * that provider or on the target, and the provider's breaker closed (not half-open: its one probe is the scheduler's to claim). Then the scheduler's answer is always "that target, fast lane,
 * now", and the ingress may publish the first attempt to the dispatch stream itself (same `Nats-Msg-Id`, `<id>:1`),
 * saving a stream write, a delivery, an ack and a round trip. Undefined for anything else: it goes to the scheduler.
 * Retries always go through the scheduler.
 */
export function directTarget(
  config: Config, tenant: string, model: string, window: Window, breaker: (provider: string) => BreakerState | undefined, now: number,
): DirectTarget | undefined {
  if (window !== 'asap') return undefined;
  const targets = config.models[model]?.targets;
  if (targets?.length !== 1) return undefined;
  const [t] = targets;
  const limits = config.tenants.find((x) => x.name === tenant)?.limits;
  if (limits?.max_queued !== undefined || isLimited(limits)) return undefined;
  if (isLimited(config.providers.find((p) => p.name === t.provider)?.limits) || isLimited(t.limits)) return undefined;
  if (!isClosed(breaker(t.provider), now, config.breaker)) return undefined;
  return { provider: t.provider, provider_model: t.model ?? model };
}

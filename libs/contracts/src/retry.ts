export interface RetryPolicy {
  max_attempts: number;
  base_delay_ms: number;
  max_delay_ms: number;
}

/**
 * Delay before the next attempt after `attempt` failed, or null when no attempt is left.
 * Exponential backoff with full jitter; an upstream's retry-after is a floor, never shortened.
 */
export function retryDelay(attempt: number, p: RetryPolicy, random: () => number, retryAfterMs = 0): number | null {
  if (attempt >= p.max_attempts) return null;
  const ceiling = Math.min(p.max_delay_ms, p.base_delay_ms * 2 ** (attempt - 1));
  return Math.max(Math.round(random() * ceiling), Math.min(retryAfterMs, p.max_delay_ms));
}

/** Every subject, stream and bucket name, derived from one prefix so several meshes can share a NATS. */
export interface Names {
  readonly submitStream: string;
  readonly dispatchStream: string;
  readonly eventsStream: string;
  readonly requestsBucket: string;
  readonly idempotencyBucket: string;
  /** Circuit-breaker state, one key per provider. */
  readonly breakersBucket: string;
  readonly schedulerConsumer: string;
  submit(window: string): string;
  submitAll(): string;
  dispatch(provider: string): string;
  dispatchAll(): string;
  adapterConsumer(provider: string): string;
  done(id: string): string;
  event(kind: string, id: string): string;
  /** The event subjects kept in the events stream: terminal kinds only (webhooks, audit); the rest are live-only. */
  eventsStored(): string[];
}

export function names(prefix = 'rr'): Names {
  const up = prefix.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return {
    submitStream: `${up}_SUBMIT`,
    dispatchStream: `${up}_DISPATCH`,
    eventsStream: `${up}_EVENTS`,
    requestsBucket: `${prefix}-requests`,
    idempotencyBucket: `${prefix}-idempotency`,
    breakersBucket: `${prefix}-breakers`,
    schedulerConsumer: `${prefix}-scheduler`,
    submit: (window) => `${prefix}.submit.${window}`,
    submitAll: () => `${prefix}.submit.>`,
    dispatch: (provider) => `${prefix}.dispatch.${provider}`,
    dispatchAll: () => `${prefix}.dispatch.>`,
    adapterConsumer: (provider) => `${prefix}-adapter-${provider}`,
    done: (id) => `${prefix}.done.${id}`,
    event: (kind, id) => `${prefix}.event.${kind}.${id}`,
    eventsStored: () => ['completed', 'failed', 'cancelled', 'expired'].map((k) => `${prefix}.event.${k}.*`),
  };
}

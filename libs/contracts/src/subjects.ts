/** The NATS-native API's verbs, one subject each (`<prefix>.api.v1.<verb>`). */
export const ApiVerbs = ['submit', 'get', 'cancel', 'list', 'count_tokens', 'list_webhooks', 'enable_webhook'] as const;
export type ApiVerb = (typeof ApiVerbs)[number];

/** Every subject, stream and bucket name, derived from one prefix so several meshes can share a NATS. */
export interface Names {
  readonly submitStream: string;
  readonly dispatchStream: string;
  readonly eventsStream: string;
  /** Streamed answers, one subject per request: `rr.chunk.<id>` (see Chunk). */
  readonly chunksStream: string;
  /** Every request by tenant, in the order they were stored: `rr.index.<tenant>.<id>`, one message each (see RequestIndex). */
  readonly indexStream: string;
  readonly requestsBucket: string;
  readonly idempotencyBucket: string;
  /** Circuit-breaker state, one key per provider. */
  readonly breakersBucket: string;
  /** Rate-limit state, one key per scope (`tenant.<name>`, `provider.<name>`). */
  readonly limitsBucket: string;
  /** Webhook delivery state: `delivery.<event id>.<endpoint>` (every attempt) and `endpoint.<endpoint>` (disabled by a 410). */
  readonly webhooksBucket: string;
  /** Files (the Batch API's input and output), one object each, named by file id (see FileStore). */
  readonly filesBucket: string;
  /** Batches (see BatchStore): `<tenant>.<batch id>` the batch, `<tenant>.<batch id>.ids.<n>` the request ids of its lines in chunks. */
  readonly batchesBucket: string;
  /** Batch work items, `rr.batch.<id>`, one per batch while it runs: a work queue, its redeliveries the batch's clock. */
  readonly batchStream: string;
  batch(id: string): string;
  batchAll(): string;
  /** The durable consumer on the batch stream, shared by every ingress replica. */
  readonly batchConsumer: string;
  /** The durable consumer on the events stream that delivers webhooks. */
  readonly webhookConsumer: string;
  /** The one consumer on every window before windows had their own (removed at start: it overlaps theirs). */
  readonly legacySchedulerConsumer: string;
  /** One durable consumer per window, so asap is pulled apart from (and never behind) standard and batch. */
  schedulerConsumer(window: string): string;
  /** Per window and tenant: a tenant's queued count is the stream's message count on `submitTenant(tenant)`. */
  submit(window: string, tenant: string): string;
  submitWindow(window: string): string;
  submitTenant(tenant: string): string;
  submitAll(): string;
  /** `fast`: asap, promoted and retried attempts; `bg`: standard and batch, on its own consumer so asap never waits behind it. */
  dispatch(provider: string, lane?: 'fast' | 'bg'): string;
  dispatchAll(): string;
  adapterConsumer(provider: string, lane?: 'fast' | 'bg'): string;
  /**
   * A request's wake-up, published after its terminal state is stored: `rr.done.<waiter>.<id>`, where `waiter` is the
   * record's `waiter` (the ingress that stored it to wait for it; `_` when none), so each ingress receives only its own.
   */
  done(id: string, waiter?: string): string;
  /** All the wake-ups of one ingress's own waiters: `rr.done.<waiter>.*`. */
  doneFor(waiter: string): string;
  /** A request's wake-up whoever waits for it: `rr.done.*.<id>` (a re-attach, a stream reader). */
  doneAny(id: string): string;
  /** The wake-ups as published before they named their waiter, `rr.done.<id>`: an ingress listens during a rolling upgrade. */
  legacyDoneAll(): string;
  chunk(id: string): string;
  chunksAll(): string;
  index(tenant: string, id: string): string;
  indexTenant(tenant: string): string;
  indexAll(): string;
  event(kind: string, id: string): string;
  /** A batch's end: `rr.event.batch_<status>.<batch id>` (its own kinds: not a request's event). */
  batchEvent(status: string, id: string): string;
  /** The NATS-native API's request/reply subject for one verb. */
  api(verb: ApiVerb): string;
  /** The queue group every ingress replica serves the NATS-native API in (each request goes to one of them). */
  readonly apiQueue: string;
  /** Token counting (request/reply, not stored): the adapters answer for `provider` (see TokenCountAsk). */
  tokens(provider: string): string;
  /** The queue group the adapters replicas count tokens in. */
  readonly tokensQueue: string;
  /** The event subjects kept in the events stream: requests' terminal kinds and batches' ends (webhooks, audit); the rest are live-only. */
  eventsStored(): string[];
  /** All of them, as one filter. */
  eventsAll(): string;
}

export function names(prefix = 'rr'): Names {
  const up = prefix.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return {
    submitStream: `${up}_SUBMIT`,
    dispatchStream: `${up}_DISPATCH`,
    eventsStream: `${up}_EVENTS`,
    chunksStream: `${up}_CHUNKS`,
    indexStream: `${up}_INDEX`,
    requestsBucket: `${prefix}-requests`,
    idempotencyBucket: `${prefix}-idempotency`,
    breakersBucket: `${prefix}-breakers`,
    limitsBucket: `${prefix}-limits`,
    webhooksBucket: `${prefix}-webhooks`,
    webhookConsumer: `${prefix}-webhooks`,
    filesBucket: `${prefix}-files`,
    batchesBucket: `${prefix}-batches`,
    batchStream: `${up}_BATCH`,
    batch: (id) => `${prefix}.batch.${id}`,
    batchAll: () => `${prefix}.batch.*`,
    batchConsumer: `${prefix}-batches`,
    legacySchedulerConsumer: `${prefix}-scheduler`,
    schedulerConsumer: (window) => `${prefix}-scheduler-${window}`,
    submit: (window, tenant) => `${prefix}.submit.${window}.${tenant}`,
    submitWindow: (window) => `${prefix}.submit.${window}.*`,
    submitTenant: (tenant) => `${prefix}.submit.*.${tenant}`,
    submitAll: () => `${prefix}.submit.>`,
    dispatch: (provider, lane = 'fast') => (lane === 'fast' ? `${prefix}.dispatch.${provider}` : `${prefix}.dispatch.${provider}.bg`),
    dispatchAll: () => `${prefix}.dispatch.>`,
    adapterConsumer: (provider, lane = 'fast') => (lane === 'fast' ? `${prefix}-adapter-${provider}` : `${prefix}-adapter-${provider}-bg`),
    done: (id, waiter) => `${prefix}.done.${waiter || '_'}.${id}`,
    doneFor: (waiter) => `${prefix}.done.${waiter}.*`,
    doneAny: (id) => `${prefix}.done.*.${id}`,
    legacyDoneAll: () => `${prefix}.done.*`,
    chunk: (id) => `${prefix}.chunk.${id}`,
    chunksAll: () => `${prefix}.chunk.*`,
    index: (tenant, id) => `${prefix}.index.${tenant}.${id}`,
    indexTenant: (tenant) => `${prefix}.index.${tenant}.*`,
    indexAll: () => `${prefix}.index.*.*`,
    event: (kind, id) => `${prefix}.event.${kind}.${id}`,
    batchEvent: (status, id) => `${prefix}.event.batch_${status}.${id}`,
    api: (verb) => `${prefix}.api.v1.${verb}`,
    apiQueue: `${prefix}-ingress`,
    tokens: (provider) => `${prefix}.tokens.${provider}`,
    tokensQueue: `${prefix}-adapters`,
    eventsAll: () => `${prefix}.event.>`,
    eventsStored: () => ['completed', 'failed', 'cancelled', 'expired'].flatMap((k) => [`${prefix}.event.${k}.*`, `${prefix}.event.batch_${k}.*`]),
  };
}

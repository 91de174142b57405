import { batchWebhookType, webhookEventId, webhookPayload, webhookRetryDelay, webhookSubject, webhookTypeFor } from './webhooks.js';

describe('webhookTypeFor', () => {
  it.each([
    ['completed', 'chat', undefined, undefined, 'request.completed'],
    ['failed', 'messages', undefined, undefined, 'request.failed'],
    ['expired', 'chat', undefined, undefined, 'request.expired'],
    ['cancelled', 'chat', undefined, undefined, 'request.cancelled'],
    ['completed', 'responses', 'completed', undefined, 'response.completed'],
    ['completed', 'responses', 'incomplete', undefined, 'response.incomplete'],
    ['failed', 'responses', undefined, undefined, 'response.failed'],
    ['expired', 'responses', undefined, undefined, 'response.failed'],
    ['cancelled', 'responses', undefined, undefined, 'response.cancelled'],
    ['completed', 'responses', 'completed', ['request.completed'], 'request.completed'],
    ['completed', 'chat', undefined, ['request.failed'], null],
    ['completed', 'chat', undefined, ['response.completed'], null],
    ['started', 'chat', undefined, undefined, null],
    ['completed', undefined, undefined, undefined, 'request.completed'],
  ] as const)('%s on %s (%s), wanted %j: %s', (kind, api, result, wanted, want) => {
    expect(webhookTypeFor(kind, api, result, wanted)).toBe(want);
  });
});

describe('webhookPayload', () => {
  const ev = { id: 'rr_1', tenant: 't', status: 'completed', attempts: 1, at: 1_795_440_080_999 };
  it("OpenAI's shape: data is only the id for response.* events", () => {
    expect(webhookPayload('response.completed', ev, 'responses')).toEqual({
      id: webhookEventId('rr_1', 'completed'), object: 'event', type: 'response.completed', created_at: 1_795_440_080, data: { id: 'rr_1' },
    });
  });
  it('request.* events say what the request is', () => {
    expect(webhookPayload('request.completed', ev, 'chat').data).toEqual({ id: 'rr_1', object: 'request', status: 'completed', api: 'chat' });
  });
  it('the event id is stable per request and kind', () => {
    expect(webhookEventId('rr_1', 'completed')).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(webhookEventId('rr_1', 'completed')).toBe(webhookEventId('rr_1', 'completed'));
    expect(webhookEventId('rr_1', 'failed')).not.toBe(webhookEventId('rr_1', 'completed'));
  });
});

describe('batch events', () => {
  const ev = { id: 'batch_1', object: 'batch', tenant: 't', status: 'cancelled', at: 1_795_440_080_999 } as const;
  it.each([
    ['completed', undefined, 'batch.completed'],
    ['failed', undefined, 'batch.failed'],
    ['cancelled', ['batch.cancelled', 'request.failed'], 'batch.cancelled'],
    ['expired', ['batch.completed'], null],
    ['completed', ['request.completed', 'response.completed'], null],
  ] as const)('%s, wanted %j: %s', (status, wanted, want) => {
    expect(batchWebhookType(status, wanted)).toBe(want);
  });
  it("OpenAI's shape: data is the batch id only", () => {
    expect(webhookPayload('batch.cancelled', ev, undefined)).toEqual({
      id: webhookEventId('batch_1', 'cancelled'), object: 'event', type: 'batch.cancelled', created_at: 1_795_440_080, data: { id: 'batch_1' },
    });
  });
  it('a delivery record names a batch as batch_id, a request as request_id', () => {
    expect(webhookSubject(ev)).toEqual({ batch_id: 'batch_1' });
    expect(webhookSubject({ id: 'rr_1', tenant: 't', status: 'completed', attempts: 1, at: 0 })).toEqual({ request_id: 'rr_1' });
  });
});

describe('webhookRetryDelay', () => {
  it.each([[1, 0, 100], [2, 0, 200], [5, 0, 1000], [1, 700, 700], [3, 50, 400]])('attempt %d, retry-after %d: %d', (attempt, ra, want) => {
    expect(webhookRetryDelay(attempt, 100, 1000, ra)).toBe(want);
  });
});

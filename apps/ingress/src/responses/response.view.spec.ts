import { Status, type RequestRecord } from '@reqrun/contracts';
import { canonicalToResponse } from '@reqrun/translate';
import { responseView } from './response.view.js';

const body = { model: 'm', input: 'hi', background: true, metadata: { k: 'v' } };
const base: RequestRecord = {
  id: 'rr_01J00000000000000000000000', tenant: 't', api: 'responses', model: 'm', window: 'standard', status: Status.Queued,
  body, created_at: 17_000, updated_at: 17_000, attempts: 0, history: [],
};
const error = { code: 'upstream_rejected', message: 'no', status: 400, retryable: false };

describe('responseView', () => {
  it.each([
    ['queued', { status: Status.Queued, error: { ...error, retryable: true } }, { status: 'queued', error: null }],
    ['in progress', { status: Status.InProgress }, { status: 'in_progress', error: null }],
    ['failed', { status: Status.Failed, error }, { status: 'failed', error: { code: 'upstream_rejected', message: 'no' } }],
    ['expired: failed, with a code saying so', { status: Status.Expired, error: { code: 'request_expired', message: 'late', status: 408, retryable: false } }, { status: 'failed', error: { code: 'request_expired', message: 'late' } }],
    ['cancelled', { status: Status.Cancelled }, { status: 'cancelled', error: null }],
  ] as [string, Partial<RequestRecord>, object][])('%s: no output, the request echoed', (_n, change, want) => {
    const sut = responseView({ ...base, ...change });
    expect(sut).toMatchObject({ ...want, id: base.id, object: 'response', created_at: 17, model: 'm', output: [], background: true, metadata: { k: 'v' }, completed_at: null });
    expect(sut).not.toHaveProperty('usage');
  });

  it('completed: the stored response, with its completion time', () => {
    const result = canonicalToResponse({ model: 'm', text: 'yo', finish_reason: 'stop', usage: { input_tokens: 1, output_tokens: 1 } }, { id: base.id, created: 17, request: body });
    expect(responseView({ ...base, status: Status.Completed, result, ended_at: 20_500 })).toEqual({ ...result, completed_at: 20 });
  });
});

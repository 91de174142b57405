import { readMessageBatchRequests } from './message-batch.input.js';

const params = { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] };

describe('readMessageBatchRequests', () => {
  it('reads the requests in order', () => {
    expect(readMessageBatchRequests({ requests: [{ custom_id: 'a-1', params }, { custom_id: 'B_2', params: {} }] })).toEqual([
      { custom_id: 'a-1', params }, { custom_id: 'B_2', params: {} },
    ]);
  });

  it.each([
    ['not an object', [1], null],
    ['no requests', {}, 'requests'],
    ['requests not a list', { requests: {} }, 'requests'],
    ['empty', { requests: [] }, 'requests'],
    ['a request not an object', { requests: ['x'] }, 'requests.0'],
    ['an empty custom_id', { requests: [{ custom_id: '', params }] }, 'requests.0.custom_id'],
    ['a custom_id with a space', { requests: [{ custom_id: 'a b', params }] }, 'requests.0.custom_id'],
    ['a custom_id over 64', { requests: [{ custom_id: 'x'.repeat(65), params }] }, 'requests.0.custom_id'],
    ['a repeated custom_id', { requests: [{ custom_id: 'a', params }, { custom_id: 'a', params }] }, 'requests.1.custom_id'],
    ['params not an object', { requests: [{ custom_id: 'a', params: [] }] }, 'requests.0.params'],
  ])('%s is a 400 naming %s', (_why, body, param) => {
    expect(() => readMessageBatchRequests(body)).toThrow(expect.objectContaining({ status: 400, param }));
  });

  it('refuses more than 100,000 requests', () => {
    const requests = Array.from({ length: 100_001 }, (_, i) => ({ custom_id: `c${i}`, params }));
    expect(() => readMessageBatchRequests({ requests })).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining('at most 100000') }));
  });
});

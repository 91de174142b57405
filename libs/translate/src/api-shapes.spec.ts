import type { Api, CanonicalRequest, CanonicalResult } from '@reqrun/contracts';
import { fromApiResult, toApiRequest, toApiResult, toCanonical } from './api-shapes.js';

const req: CanonicalRequest = { model: 'm', system: 's', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, temperature: 0.5 };
const result: CanonicalResult = { model: 'm', text: 'hello', finish_reason: 'length', usage: { input_tokens: 2, output_tokens: 8 } };

describe('api shapes', () => {
  it.each(['chat', 'messages', 'responses'] as Api[])('%s: every direction goes through the same canonical request and result', (api) => {
    const back = toCanonical(api, toApiRequest(api, req) as Record<string, unknown>);
    expect({ ...back, messages: back.messages.filter((m) => m.role !== 'system') }).toMatchObject({ model: 'm', messages: req.messages, max_tokens: 8, temperature: 0.5 });
    expect(fromApiResult(api, toApiResult(api, result, { id: 'rr_x', created: 1 }))).toEqual(result);
  });

  it('refuses an unknown API', () => {
    expect(() => toCanonical('fax' as Api, {})).toThrow("unknown API 'fax'");
  });
});

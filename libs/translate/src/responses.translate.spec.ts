import type { CanonicalRequest, CanonicalResult } from '@reqrun/contracts';
import {
  canonicalToResponse, canonicalToResponses, continuedInput, responsesToCanonical, responseToCanonical, responseWithoutOutput, type ResponsesRequest,
} from './responses.translate.js';

const asBody = (r: ResponsesRequest) => r as unknown as Record<string, unknown>;
const id = { id: 'rr_01J00000000000000000000000', created: 17 };

describe('responses translation', () => {
  it.each([
    ['a string input is one user message', { model: 'm', input: 'hi' }, { model: 'm', messages: [{ role: 'user', content: 'hi' }] }],
    [
      'items: developer = system, parts joined, output messages as input, other items skipped, instructions = system',
      {
        model: 'm', instructions: 'be brief', max_output_tokens: 20, temperature: 0.5, top_p: 0.9, metadata: { k: 'v' }, background: true, store: false,
        input: [
          { role: 'developer', content: 'formal' },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'a' }, { type: 'input_text', text: 'b' }] },
          { id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'c', annotations: [], logprobs: [] }] },
          { type: 'reasoning', id: 'rs_1', summary: [] },
          { role: 'user', content: 'd' },
        ],
      },
      {
        model: 'm', system: 'be brief', max_tokens: 20, temperature: 0.5, top_p: 0.9, metadata: { k: 'v' },
        messages: [{ role: 'system', content: 'formal' }, { role: 'user', content: 'ab' }, { role: 'assistant', content: 'c' }, { role: 'user', content: 'd' }],
      },
    ],
    ['null instructions', { model: 'm', input: 'x', instructions: null }, { model: 'm', messages: [{ role: 'user', content: 'x' }] }],
  ])('reads a request: %s', (_n, body, want) => {
    expect(responsesToCanonical(body)).toEqual(want);
  });

  const bodies: [string, ResponsesRequest][] = [
    ['message items', { model: 'm', input: [{ type: 'message', role: 'user', content: 'hi' }] }],
    ['every field', {
      model: 'm', instructions: 'sys', max_output_tokens: 9, temperature: 1.2, top_p: 0.3, metadata: { a: 'b' },
      input: [{ type: 'message', role: 'system', content: 's' }, { type: 'message', role: 'user', content: 'q' }, { type: 'message', role: 'assistant', content: 'a' }],
    }],
  ];
  it.each(bodies)('request: responses -> canonical -> responses keeps %s', (_n, body) => {
    expect(canonicalToResponses(responsesToCanonical(asBody(body)))).toEqual(body);
  });

  const requests: [string, CanonicalRequest][] = [
    ['a plain turn', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }],
    ['system and sampling', { model: 'm', system: 's', messages: [{ role: 'system', content: 'x' }, { role: 'user', content: 'hi' }], max_tokens: 4, temperature: 0, top_p: 1, metadata: { k: 'v' } }],
  ];
  it.each(requests)('request: canonical -> responses -> canonical keeps %s', (_n, req) => {
    expect(responsesToCanonical(asBody(canonicalToResponses(req)))).toEqual(req);
  });

  it('request: a tool turn is a function_call_output item', () => {
    expect(canonicalToResponses({ model: 'm', messages: [{ role: 'tool', content: '{}', tool_call_id: 'c1' }] }).input).toEqual([{ type: 'function_call_output', call_id: 'c1', output: '{}' }]);
  });

  const results: [string, CanonicalResult, string, unknown][] = [
    ['a finished answer', { model: 'm', text: 'hello', finish_reason: 'stop', usage: { input_tokens: 3, output_tokens: 2 } }, 'completed', null],
    ['an answer cut by max_output_tokens', { model: 'm', text: 'he', finish_reason: 'length', usage: { input_tokens: 3, output_tokens: 1 } }, 'incomplete', { reason: 'max_output_tokens' }],
    ['a filtered answer', { model: 'm', text: '', finish_reason: 'content_filter', usage: { input_tokens: 3, output_tokens: 0 } }, 'incomplete', { reason: 'content_filter' }],
  ];
  it.each(results)('result: canonical -> response -> canonical keeps %s', (_n, r, status, incomplete) => {
    const response = canonicalToResponse(r, id);
    expect(response).toMatchObject({ status, incomplete_details: incomplete });
    expect(responseToCanonical(response)).toEqual(r);
  });

  it('result: a response with output message, usage details and the request echoed', () => {
    const request = { model: 'm', input: 'hi', instructions: 'be brief', max_output_tokens: 50, temperature: 0.2, metadata: { k: 'v' }, background: true, previous_response_id: 'rr_prev', user: 'u' };
    const sut = canonicalToResponse({ model: 'm', text: 'hello', finish_reason: 'stop', usage: { input_tokens: 3, output_tokens: 2 } }, { ...id, request });
    expect(sut).toEqual({
      id: id.id, object: 'response', created_at: 17, status: 'completed', error: null, incomplete_details: null, model: 'm',
      output: [{ id: 'msg_01J00000000000000000000000', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'hello', annotations: [], logprobs: [] }] }],
      usage: { input_tokens: 3, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 5 },
      background: true, instructions: 'be brief', max_output_tokens: 50, metadata: { k: 'v' }, parallel_tool_calls: true, previous_response_id: 'rr_prev',
      reasoning: null, store: true, temperature: 0.2, text: { format: { type: 'text' } }, tool_choice: 'auto', tools: [], top_p: null, truncation: 'disabled', user: 'u',
    });
  });

  it('result: reads a provider response with a function call as tool_calls', () => {
    const sut = responseToCanonical({
      model: 'gpt-x', status: 'completed', incomplete_details: null,
      output: [{ type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' }],
      usage: { input_tokens: 4, output_tokens: 6, total_tokens: 10, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
    });
    expect(sut).toEqual({ model: 'gpt-x', text: '', tool_calls: [{ id: 'c1', name: 'f', arguments: '{}' }], finish_reason: 'tool_calls', usage: { input_tokens: 4, output_tokens: 6 } });
  });

  it('a response without output: status and error, no usage', () => {
    const sut = responseWithoutOutput({ ...id, request: { model: 'm', input: 'x' } }, 'm', 'failed', { code: 'request_expired', message: 'too late' });
    expect(sut).toMatchObject({ status: 'failed', error: { code: 'request_expired', message: 'too late' }, output: [], background: false });
    expect(sut).not.toHaveProperty('usage');
  });

  it('continues a conversation: earlier input, its output, then the new input', () => {
    const out = [{ id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'a1', annotations: [], logprobs: [] }] }];
    const sut = continuedInput('q1', out, [{ role: 'user', content: 'q2' }]);
    expect(sut).toEqual([{ type: 'message', role: 'user', content: 'q1' }, out[0], { role: 'user', content: 'q2' }]);
    expect(responsesToCanonical({ model: 'm', input: sut }).messages).toEqual([
      { role: 'user', content: 'q1' }, { role: 'assistant', content: 'a1' }, { role: 'user', content: 'q2' },
    ]);
  });
});

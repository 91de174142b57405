import { ReqRunError } from '@reqrun/contracts';
import { anthropicEnvelope } from './anthropic-envelope.js';
import { openAIEnvelope } from './openai-envelope.js';
import { envelopeFor } from './send-error.js';

const err = (status: number) => new ReqRunError('some_code', 'what went wrong', status, 'field');

describe('error envelopes', () => {
  it.each([
    ['/v1/messages', anthropicEnvelope], ['/v1/messages?beta=true', anthropicEnvelope], ['/v1/messages/count_tokens', anthropicEnvelope],
    ['/v1/chat/completions', openAIEnvelope], ['/v1/responses', openAIEnvelope], ['/v1/messagesx', openAIEnvelope], ['/v1/requests/rr_1', openAIEnvelope],
  ])('%s is answered in its API envelope', (url, want) => {
    expect(envelopeFor(url)).toBe(want);
  });

  it.each([
    ['/v1/models', true, anthropicEnvelope], ['/v1/models/nope', true, anthropicEnvelope], ['/v1/models', false, openAIEnvelope],
    ['/v1/chat/completions', true, openAIEnvelope],
  ])('%s (anthropic-version sent: %s) is answered in the caller’s envelope', (url, anthropicCaller, want) => {
    expect(envelopeFor(url, anthropicCaller)).toBe(want);
  });

  it.each([
    [400, 'invalid_request_error'], [401, 'authentication_error'], [403, 'permission_error'], [404, 'not_found_error'], [409, 'conflict_error'],
    [413, 'request_too_large'], [415, 'invalid_request_error'], [422, 'invalid_request_error'], [429, 'rate_limit_error'], [500, 'api_error'],
    [502, 'api_error'], [503, 'api_error'], [504, 'timeout_error'], [529, 'overloaded_error'],
  ])("Anthropic: %d is '%s'", (status, type) => {
    expect(anthropicEnvelope(err(status), 'rr_x')).toEqual({ type: 'error', error: { type, message: 'what went wrong' }, request_id: 'rr_x' });
  });

  it('Anthropic: request_id is null before the request has an id', () => {
    expect(anthropicEnvelope(err(400)).request_id).toBeNull();
  });

  it('OpenAI: message, type, param and code', () => {
    expect(openAIEnvelope(err(400))).toEqual({ error: { message: 'what went wrong', type: 'invalid_request_error', param: 'field', code: 'some_code' } });
  });
});

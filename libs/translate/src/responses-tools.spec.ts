import { canonicalToResponse, canonicalToResponses, responsesToCanonical, responseToCanonical } from './responses.translate.js';

const parameters = { type: 'object', properties: { city: { type: 'string' } } };
const tools = [{ type: 'function' as const, name: 'get_weather', description: 'Weather by city', parameters, strict: true }];

describe('Responses tool calls', () => {
  const input = [
    { role: 'user' as const, content: 'weather?' },
    { type: 'message' as const, role: 'assistant' as const, content: [{ type: 'output_text', text: 'Let me look.' }] },
    { type: 'function_call' as const, id: 'fc_1', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
    { type: 'function_call' as const, call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Lyon"}' },
    { type: 'function_call_output' as const, call_id: 'call_1', output: 'sunny' },
    { type: 'function_call_output' as const, call_id: 'call_2', output: [{ type: 'input_text', text: 'rainy' }] },
    { type: 'reasoning', id: 'rs_1', summary: [] },
  ];

  it('a tool loop -> canonical: calls join the assistant turn before them, each output is a tool turn', () => {
    expect(responsesToCanonical({ model: 'm', input, tools, tool_choice: { type: 'function', name: 'get_weather' }, parallel_tool_calls: true })).toEqual({
      model: 'm',
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }, { id: 'call_2', name: 'get_weather', arguments: '{"city":"Lyon"}' }] },
        { role: 'tool', content: 'sunny', tool_call_id: 'call_1' },
        { role: 'tool', content: 'rainy', tool_call_id: 'call_2' },
      ],
      tools: [{ name: 'get_weather', description: 'Weather by city', parameters, strict: true }],
      tool_choice: { name: 'get_weather' },
      parallel_tool_calls: true,
    });
  });

  it('canonical -> a Responses request for a provider: function_call and function_call_output items, tools flat', () => {
    const wire = canonicalToResponses(responsesToCanonical({ model: 'm', input, tools, tool_choice: 'required' }));
    expect(wire.input).toEqual([
      { type: 'message', role: 'user', content: 'weather?' },
      { type: 'message', role: 'assistant', content: 'Let me look.' },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Lyon"}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
      { type: 'function_call_output', call_id: 'call_2', output: 'rainy' },
    ]);
    expect(wire).toMatchObject({ tools, tool_choice: 'required' });
  });

  it("a provider's function calls -> canonical -> the response's output items", () => {
    const r = responseToCanonical({
      model: 'up', status: 'completed', incomplete_details: null,
      output: [{ type: 'function_call', id: 'fc_x', call_id: 'call_9', name: 'get_weather', arguments: '{}', status: 'completed' }],
      usage: { input_tokens: 1, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 3 },
    });
    expect(r).toMatchObject({ text: '', finish_reason: 'tool_calls', tool_calls: [{ id: 'call_9', name: 'get_weather', arguments: '{}' }] });
    const response = canonicalToResponse(r, { id: 'rr_01ABC', created: 1 });
    expect(response.status).toBe('completed');
    expect(response.output).toEqual([{ id: 'fc_01ABC_0', type: 'function_call', status: 'completed', call_id: 'call_9', name: 'get_weather', arguments: '{}' }]);
  });
});

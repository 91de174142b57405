import Ajv2020 from 'ajv/dist/2020.js';

/**
 * Anthropic's response shapes as JSON Schema, written from its API reference (Messages: "Create a Message" response;
 * errors: https://docs.claude.com/en/api/errors) and the types of @anthropic-ai/sdk 1.12 (`Message`, `Usage`,
 * `StopReason`, `ErrorResponse`, `ErrorType`; streaming: its "Streaming Messages" page and `RawMessageStreamEvent`,
 * `MessageDeltaUsage`; thinking: `ThinkingBlock`, `RedactedThinkingBlock`, `ThinkingDelta`, `SignatureDelta`).
 * Anthropic publishes no JSON Schema file to copy, so these hold only what those documents require; extra fields
 * pass, as they do for Anthropic's own clients.
 */
const stopReasons = ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded'];
/** A thinking block (`thinking` and its `signature`; empty while a stream has yet to send them) or a redacted one. */
const thinkingBlocks = [
  { type: 'object', required: ['type', 'thinking', 'signature'], properties: { type: { const: 'thinking' }, thinking: { type: 'string' }, signature: { type: 'string' } } },
  { type: 'object', required: ['type', 'data'], properties: { type: { const: 'redacted_thinking' }, data: { type: 'string' } } },
];
const errorTypes = [
  'invalid_request_error', 'authentication_error', 'billing_error', 'permission_error', 'not_found_error', 'request_too_large', 'rate_limit_error',
  'timeout_error', 'api_error', 'overloaded_error', 'conflict_error',
];

const schemas = {
  Message: {
    type: 'object',
    required: ['id', 'type', 'role', 'content', 'model', 'stop_reason', 'stop_sequence', 'usage'],
    properties: {
      id: { type: 'string' },
      type: { const: 'message' },
      role: { const: 'assistant' },
      content: {
        type: 'array',
        items: {
          oneOf: [
            { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text' }, text: { type: 'string' } } },
            { type: 'object', required: ['type', 'id', 'name', 'input'], properties: { type: { const: 'tool_use' }, id: { type: 'string' }, name: { type: 'string' }, input: { type: 'object' } } },
            ...thinkingBlocks,
          ],
        },
      },
      model: { type: 'string' },
      stop_reason: { enum: [...stopReasons, null] },
      stop_sequence: { type: ['string', 'null'] },
      usage: {
        type: 'object',
        required: ['input_tokens', 'output_tokens'],
        properties: {
          input_tokens: { type: 'integer', minimum: 0 },
          output_tokens: { type: 'integer', minimum: 0 },
          cache_creation_input_tokens: { type: ['integer', 'null'], minimum: 0 },
          cache_read_input_tokens: { type: ['integer', 'null'], minimum: 0 },
        },
      },
    },
  },
  ErrorResponse: {
    type: 'object',
    required: ['type', 'error', 'request_id'],
    properties: {
      type: { const: 'error' },
      error: { type: 'object', required: ['type', 'message'], properties: { type: { enum: errorTypes }, message: { type: 'string', minLength: 1 } } },
      request_id: { type: ['string', 'null'] },
    },
  },
  ...streamEvents(),
} as const;

/** One schema per named stream event (`event: <type>`, data `{"type": <type>, ...}`), plus `ping` and `error`. */
function streamEvents() {
  const ev = (type: string, required: string[], properties: object) => ({
    type: 'object', required: ['type', ...required], properties: { type: { const: type }, ...properties },
  });
  const index = { type: 'integer', minimum: 0 };
  const count = { type: ['integer', 'null'], minimum: 0 };
  return {
    message_start: ev('message_start', ['message'], { message: { $ref: 'Message' } }),
    content_block_start: ev('content_block_start', ['index', 'content_block'], {
      index,
      content_block: {
        oneOf: [
          { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text' }, text: { type: 'string' } } },
          { type: 'object', required: ['type', 'id', 'name', 'input'], properties: { type: { const: 'tool_use' }, id: { type: 'string' }, name: { type: 'string' }, input: { type: 'object' } } },
          ...thinkingBlocks,
        ],
      },
    }),
    content_block_delta: ev('content_block_delta', ['index', 'delta'], {
      index,
      delta: {
        oneOf: [
          { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text_delta' }, text: { type: 'string' } } },
          { type: 'object', required: ['type', 'partial_json'], properties: { type: { const: 'input_json_delta' }, partial_json: { type: 'string' } } },
          { type: 'object', required: ['type', 'thinking'], properties: { type: { const: 'thinking_delta' }, thinking: { type: 'string' } } },
          { type: 'object', required: ['type', 'signature'], properties: { type: { const: 'signature_delta' }, signature: { type: 'string' } } },
        ],
      },
    }),
    content_block_stop: ev('content_block_stop', ['index'], { index }),
    message_delta: ev('message_delta', ['delta', 'usage'], {
      delta: {
        type: 'object', required: ['stop_reason', 'stop_sequence'],
        properties: { stop_reason: { enum: [...stopReasons, null] }, stop_sequence: { type: ['string', 'null'] } },
      },
      usage: {
        type: 'object', required: ['output_tokens'],
        properties: { output_tokens: { type: 'integer', minimum: 0 }, input_tokens: count, cache_creation_input_tokens: count, cache_read_input_tokens: count },
      },
    }),
    message_stop: ev('message_stop', [], {}),
    ping: ev('ping', [], {}),
    error: ev('error', ['error'], {
      error: { type: 'object', required: ['type', 'message'], properties: { type: { enum: errorTypes }, message: { type: 'string', minLength: 1 } } },
    }),
  };
}

const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
for (const [name, schema] of Object.entries(schemas)) ajv.addSchema(schema, name);

/** The shape's complaints about `body`, or [] when it conforms. */
export function anthropicShapeErrors(name: keyof typeof schemas, body: unknown): string[] {
  const validate = ajv.getSchema(name)!;
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** The complaints about one stream event: its SSE name must be its data's `type`, and the data that event's shape. */
export function anthropicStreamEventErrors(e: { event?: string; data: unknown }): string[] {
  const type = (e.data as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !(type in streamEvents())) return [`unknown stream event type ${String(type)}`];
  return [...(e.event === type ? [] : [`event name ${String(e.event)} is not the data's type ${type}`]), ...anthropicShapeErrors(type as keyof typeof schemas, e.data)];
}

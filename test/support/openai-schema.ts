import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** OpenAI's published response schemas (copied from openai-openapi, MIT; see spec/openai/README.md). */
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
(addFormats as unknown as typeof addFormats.default)(ajv);

const load = (name: string) => JSON.parse(readFileSync(new URL(`../spec/openai/${name}.schema.json`, import.meta.url), 'utf8'));

/** The schema's complaints about `body`, or [] when it conforms. */
export function schemaErrors(
  name: 'CreateChatCompletionResponse' | 'CreateChatCompletionStreamResponse' | 'ErrorResponse' | 'Response' | 'ListModelsResponse' | 'Model' | 'Batch' | 'OpenAIFile'
    | 'WebhookBatchCompleted' | 'WebhookBatchFailed' | 'WebhookBatchCancelled' | 'WebhookBatchExpired',
  body: unknown,
): string[] {
  const validate = ajv.getSchema(name) ?? (ajv.addSchema(load(name), name), ajv.getSchema(name)!);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Responses stream events by `type`, each the branch of `ResponseStreamEvent` that names it (the union's errors are noise). */
const eventSchemas: Record<string, string> = {
  'response.created': 'ResponseCreatedEvent', 'response.in_progress': 'ResponseInProgressEvent', 'response.queued': 'ResponseQueuedEvent',
  'response.output_item.added': 'ResponseOutputItemAddedEvent', 'response.output_item.done': 'ResponseOutputItemDoneEvent',
  'response.content_part.added': 'ResponseContentPartAddedEvent', 'response.content_part.done': 'ResponseContentPartDoneEvent',
  'response.output_text.delta': 'ResponseTextDeltaEvent', 'response.output_text.done': 'ResponseTextDoneEvent',
  'response.function_call_arguments.delta': 'ResponseFunctionCallArgumentsDeltaEvent',
  'response.function_call_arguments.done': 'ResponseFunctionCallArgumentsDoneEvent',
  'response.completed': 'ResponseCompletedEvent', 'response.incomplete': 'ResponseIncompleteEvent', 'response.failed': 'ResponseFailedEvent',
  error: 'ResponseErrorEvent',
};

/** The complaints about one Responses stream event (its SSE name must be its `type`), or [] when it conforms. */
export function responseEventErrors(e: { event?: string; data: unknown }): string[] {
  const type = (e.data as { type?: unknown } | null)?.type;
  const def = typeof type === 'string' ? eventSchemas[type] : undefined;
  if (!def) return [`unknown event type ${String(type)}`];
  if (!ajv.getSchema('ResponseStreamEvent')) ajv.addSchema(load('ResponseStreamEvent'), 'ResponseStreamEvent');
  const validate = ajv.getSchema(`ResponseStreamEvent#/$defs/${def}`)!;
  const named = e.event === type ? [] : [`event name ${String(e.event)} is not the data's type ${type}`];
  return validate(e.data) ? named : [...named, ...(validate.errors ?? []).map((x) => `${x.instancePath} ${x.message}`)];
}

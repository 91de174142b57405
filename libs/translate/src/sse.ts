import type { Api } from '@reqrun/contracts';

/** One Server-Sent Event: an optional name (`event:`) and its data, a JSON value or a literal such as `[DONE]`. */
export interface SseEvent {
  event?: string;
  data: object | string;
}

/** The event on the wire. JSON has no raw newlines, so the data is always one `data:` line. */
export function sseText(e: SseEvent): string {
  const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
  return `${e.event ? `event: ${e.event}\n` : ''}data: ${data}\n\n`;
}

/**
 * What keeps an idle stream open through proxies: Anthropic's own `ping` event (its SDKs skip it anywhere in a
 * stream), an SSE comment for OpenAI's shapes (an event there would be read as data).
 */
export function keepAliveText(api: Api): string {
  return api === 'messages' ? sseText({ event: 'ping', data: { type: 'ping' } }) : ': keep-alive\n\n';
}

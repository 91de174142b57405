import type { Api } from '@reqrun/contracts';

/** The endpoints OpenAI's Batch API may name (`endpoint`), and the API each one is. */
export const BATCH_ENDPOINTS: Readonly<Record<string, Api>> = { '/v1/chat/completions': 'chat', '/v1/responses': 'responses' };

/** The endpoint of every line of an Anthropic Message Batch (its record's `endpoint`: it marks the batch as Anthropic's). */
export const MESSAGES_ENDPOINT = '/v1/messages';

/** The purpose of an Anthropic Message Batch's own files (its requests, its results): the batch's, which the Files API does not show. */
export const MESSAGE_BATCH_PURPOSE = 'message_batch';

/** The API a batch's lines are requests of, whichever batch API made it. */
export const apiOfEndpoint = (endpoint: string): Api => (endpoint === MESSAGES_ENDPOINT ? 'messages' : BATCH_ENDPOINTS[endpoint]);

/** OpenAI's only completion window for batches. */
export const BATCH_WINDOW = '24h';

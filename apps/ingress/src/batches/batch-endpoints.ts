import type { Api } from '@reqrun/contracts';

/** The endpoints a batch may run, and the API each one is. */
export const BATCH_ENDPOINTS: Readonly<Record<string, Api>> = { '/v1/chat/completions': 'chat', '/v1/responses': 'responses' };

/** OpenAI's only completion window for batches. */
export const BATCH_WINDOW = '24h';

import type { Api } from '@reqrun/contracts';
import { chatStreamEncoder } from './chat.stream.js';
import { messagesStreamEncoder } from './messages.stream.js';
import { responsesStreamEncoder } from './responses.stream.js';
import type { StreamEncoder, StreamHead } from './stream-encoder.js';

const encoders: Record<Api, (head: StreamHead) => StreamEncoder> = {
  chat: chatStreamEncoder,
  messages: messagesStreamEncoder,
  responses: responsesStreamEncoder,
};

/** A fresh encoder for one read of a request's stream, in the API the request was made through. */
export const streamEncoder = (api: Api, head: StreamHead): StreamEncoder => encoders[api](head);

import type OpenAI from 'openai';

export interface ChatRead {
  /** The request's id (x-request-id). */
  id: string;
  /** The text read so far. */
  text: string;
  /** 'ended' once the stream ended cleanly, else the error the SDK raised. */
  outcome: Promise<unknown>;
}

/** Starts a streamed chat call with the official SDK and reads it in the background. */
export async function readChat(openai: OpenAI, body: OpenAI.ChatCompletionCreateParamsStreaming): Promise<ChatRead> {
  const { data, response } = await openai.chat.completions.create(body).withResponse();
  const read: ChatRead = { id: response.headers.get('x-request-id')!, text: '', outcome: Promise.resolve() };
  read.outcome = (async () => {
    for await (const c of data) read.text += c.choices[0]?.delta.content ?? '';
    return 'ended';
  })().catch((e: unknown) => e);
  return read;
}

import { createParser } from 'eventsource-parser';

/** One thing a Server-Sent Events body held, in order: an event (`data` parsed when it is JSON) or a comment. */
export type SseItem = { event?: string; data: any } | { comment: string };

/** Reads a whole SSE body with a well-kept parser (not ReqRun's own code), comments included. */
export async function readSse(res: Response): Promise<SseItem[]> {
  const out: SseItem[] = [];
  const parser = createParser({
    onEvent: (e) => out.push({ ...(e.event ? { event: e.event } : {}), data: parseData(e.data) }),
    onComment: (c) => out.push({ comment: c.trim() }),
  });
  const decoder = new TextDecoder();
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(part, { stream: true }));
  return out;
}

const parseData = (d: string): unknown => {
  try {
    return JSON.parse(d);
  } catch {
    return d;
  }
};

/** The events alone. */
export const eventsOf = (items: SseItem[]) => items.filter((i): i is { event?: string; data: any } => !('comment' in i));

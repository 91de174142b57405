import OpenAI from 'openai';
import { startMesh, type Mesh } from '@reqrun/testing';
import { connect as tcp } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readChat } from './support/chat-stream.js';
import { pollRequest, post, rawValues } from './support/records.js';
import { waitUntil } from '@reqrun/testing';
import { within } from './support/within.js';

/**
 * `streaming.cancel_on_disconnect: true`: a client that hangs up on a realtime stream cancels its request. And a cancel
 * that races the end of a stream: the client and the record tell the same story.
 */
let mesh: Mesh;
let openai: OpenAI;

beforeAll(async () => {
  mesh = await startMesh({ config: { streaming: { cancel_on_disconnect: true, keepalive_s: 0.2 } } });
  openai = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: 'dev', maxRetries: 0 });
});
afterAll(() => mesh?.stop());

const metadata = { mock_chunk_delay_ms: '400' };
const settled = (r: { status: string }) => r.status !== 'queued' && r.status !== 'in_progress';

/** Opens a stream, reads its first text piece, and hangs up; returns the request id. */
async function readOneAndLeave(open: (signal: AbortSignal) => Promise<{ data: AsyncIterable<unknown>; response: Response }>): Promise<string> {
  const ctl = new AbortController();
  const { data, response } = await open(ctl.signal);
  for await (const e of data) {
    const c = e as { choices?: { delta: { content?: string } }[]; type?: string };
    if (c.choices?.[0]?.delta.content || c.type === 'response.output_text.delta') break; // the SDK aborts: a hang-up
  }
  return response.headers.get('x-request-id')!;
}

it('a chat stream whose client hangs up is cancelled, its provider call stopped', async () => {
  const id = await readOneAndLeave((signal) => openai.chat.completions
    .create({ model: 'mock-1', messages: [{ role: 'user', content: 'go away' }], stream: true, metadata }, { signal }).withResponse());
  expect(await pollRequest(mesh.url, id, settled)).toMatchObject({ status: 'cancelled' });
});

it('a client that hangs up while its request is being stored (before the stream starts) cancels it too', async () => {
  // The whole request and the hang-up in one go: the close reaches the ingress while it stores the request.
  const marker = `gone-early-${Date.now()}`;
  const body = JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: marker }], stream: true, metadata: { mock_chunk_delay_ms: '400' } });
  const { port } = new URL(mesh.url);
  const socket = tcp(Number(port), '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.end(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  socket.destroy();
  let id = '';
  await waitUntil(async () => {
    const found = (await rawValues(mesh.nats.url)).map((v) => JSON.parse(v)).find((r) => JSON.stringify(r.body).includes(marker));
    id = found?.id ?? '';
    return id !== '';
  }, { timeoutMs: 10_000, what: 'the request stored' });
  expect(await pollRequest(mesh.url, id, settled)).toMatchObject({ status: 'cancelled' });
});

it('a background response is not: it runs on and completes', async () => {
  const id = await readOneAndLeave((signal) => openai.responses
    .create({ model: 'mock-1', input: 'carry on', background: true, stream: true, metadata }, { signal }).withResponse());
  expect(await pollRequest(mesh.url, id, settled)).toMatchObject({ status: 'completed' });
});

it('a cancel racing the end of a stream: what the client read and the record agree, every time', async () => {
  // Each client cancels 0-46 ms after the last word but one (the last comes 20 ms after it), so the cancels land
  // around the time the adapter stores the answer: either the
  // answer was stored first (the cancel is a 409, the stream ends whole) or the cancel was (the stream ends with the
  // cancel's error after the text, the request is cancelled); never a whole stream for a cancelled request.
  const runs = [];
  for (let i = 0; i < 24; i++) { // one at a time: the cancel's own time stays a few ms
    const content = `one two three ${i}`;
    const { data, response } = await openai.chat.completions
      .create({ model: 'mock-1', messages: [{ role: 'user', content }], stream: true, metadata: { mock_chunk_delay_ms: '20' } })
      .withResponse();
    const id = response.headers.get('x-request-id')!;
    let text = '';
    let cancel: Promise<number> | undefined;
    let client = 'ended';
    try {
      for await (const c of data) {
        text += c.choices[0]?.delta.content ?? '';
        if (!cancel && text.endsWith('three ')) cancel = sleep(i * 2).then(() => post(`${mesh.url}/v1/requests/${id}/cancel`, {})).then((r) => r.status);
      }
    } catch {
      client = 'error';
    }
    const r = await pollRequest(mesh.url, id, settled);
    runs.push({ client, text, status: r.status, cancel: await cancel });
  }
  for (const [i, x] of runs.entries()) {
    if (x.status === 'completed') expect([x.client, x.cancel, x.text]).toEqual(['ended', 409, `Mock reply to: one two three ${i}`]);
    else expect([x.client, x.status, x.cancel, `Mock reply to: one two three ${i}`.startsWith(x.text)]).toEqual(['error', 'cancelled', 200, true]);
  }
}, 60_000);

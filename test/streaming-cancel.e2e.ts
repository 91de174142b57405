import OpenAI from 'openai';
import { startMesh, type Mesh } from '@reqrun/testing';
import { pollRequest } from './support/records.js';

/** `streaming.cancel_on_disconnect: true`: a client that hangs up on a realtime stream cancels its request. */
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

it('a background response is not: it runs on and completes', async () => {
  const id = await readOneAndLeave((signal) => openai.responses
    .create({ model: 'mock-1', input: 'carry on', background: true, stream: true, metadata }, { signal }).withResponse());
  expect(await pollRequest(mesh.url, id, settled)).toMatchObject({ status: 'completed' });
});

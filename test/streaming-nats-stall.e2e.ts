import OpenAI from 'openai';
import { answer, startFakeUpstream, startMesh, waitUntil, type FakeUpstream, type Mesh } from '@reqrun/testing';
import { pollRequest } from './support/records.js';
import { within } from './support/within.js';
import { readChat } from './support/chat-stream.js';

/**
 * nats-server stalls (SIGSTOP: connections stay open, nothing is answered) as a streamed answer ends, for longer than
 * the adapter tries to store the answer. The writes the adapter saw fail are applied when the server wakes up, so the
 * record holds the whole answer and the client reads the stream to a clean end: the request must be stored as that.
 */
let mesh: Mesh;
let upstream: FakeUpstream;
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  upstream = await startFakeUpstream({ kind: 'openai' });
  mesh = await startMesh({
    config: {
      nats: { ack_wait_ms: 60_000 },
      streaming: { keepalive_s: 1 },
      providers: [{ name: 'openai', type: 'openai', base_url: upstream.url }],
      models: { 'gpt-fake': { targets: [{ provider: 'openai', model: 'gpt-up' }] } },
    },
  });
}, 60_000);
afterAll(async () => {
  if (mesh) process.kill(mesh.nats.pid, 'SIGCONT'); // never leave it stopped
  await mesh?.stop();
  await upstream?.close();
});

it('an answer whose write failed but was stored: the request completes as its client read it, not failed', async () => {
  // One delta at once, then the finish, usage and [DONE] events a second apart: the call ends ~3 s after the text.
  upstream.plan(null, answer({ text: 'whole', chunkDelayMs: 1000 }));
  const openai = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: 'dev', maxRetries: 0 });
  const read = await readChat(openai, { model: 'gpt-fake', messages: [{ role: 'user', content: 'hi' }], stream: true });
  const { id } = read;

  await waitUntil(async () => read.text === 'whole', { timeoutMs: 15_000, what: 'the streamed text' }); // stored and read
  process.kill(mesh.nats.pid, 'SIGSTOP');
  try {
    await waitUntil(async () => upstream.calls[0]?.answered === 200, { timeoutMs: 15_000, what: 'the provider call to end' });
    // The adapter tries the answer's write for 15 s (chunkRetryMs): wake the server once it has given up, while it
    // decides what next (the redelivery then finds the request completed by the writes the server applied on waking).
    await sleep(20_000);
  } finally {
    process.kill(mesh.nats.pid, 'SIGCONT');
  }

  expect(await within(read.outcome, 30_000, 'the client stream')).toBe('ended');
  expect(read.text).toBe('whole');
  const r = await pollRequest(mesh.url, id, (x) => TERMINAL.includes(x.status), 30_000);
  expect([r.status, r.attempts, r.error?.code]).toEqual(['completed', 1, undefined]);
  expect(r.result.choices[0].message.content).toBe('whole');
  expect(upstream.calls).toHaveLength(1);
}, 120_000);

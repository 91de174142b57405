import OpenAI from 'openai';
import { metricValue, startMesh, type AppProcess, type Mesh } from '@reqrun/testing';
import { pollRequest } from './support/records.js';
import { within } from './support/within.js';

/**
 * An ingress killed with SIGKILL (no graceful cut) while clients stream through it, with a second replica up: the
 * clients see their streams fail (an error from the SDK, never a hang), the requests run on to the end with one
 * provider call each, and a Responses stream resumes on the other replica with no event lost or repeated.
 */
let mesh: Mesh;
let ingress: AppProcess[];
let adapters: AppProcess;
const model = 'mock-1';
const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
const sdk = (a: AppProcess) => new OpenAI({ baseURL: `${a.url}/v1`, apiKey: 'dev', maxRetries: 0 });
const calls = () => metricValue(`${adapters.url}/metrics`, 'reqrun_upstream_calls_total', { provider: 'mock' });
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** The message of the error a read ended with ('ended' when it ended cleanly); fetch's own error is from another realm than Jest's `Error`. */
const cutMessage = (outcome: unknown) => (outcome === 'ended' ? 'ended' : String((outcome as Error).message));

beforeAll(async () => {
  mesh = await startMesh({ apps: { ingress: 2 }, config: { streaming: { keepalive_s: 1 } } });
  ingress = mesh.apps.filter((a) => a.app === 'ingress');
  adapters = mesh.apps.find((a) => a.app === 'adapters')!;
}, 60_000);
afterAll(async () => {
  await mesh?.stop();
});

it('chat streams on a killed ingress fail at the client; each request completes on its own, once, readable on the other replica', async () => {
  const [victim, survivor] = ingress;
  const before = await calls();
  const key = `failover-${Date.now()}`;
  const open = await Promise.all([0, 1, 2].map(async (i) => {
    const { data, response } = await sdk(victim).chat.completions
      .create({ model, messages: [{ role: 'user', content: words(12, `c${i}-`) }], stream: true, metadata: { mock_chunk_delay_ms: '250' } },
        i === 0 ? { headers: { 'Idempotency-Key': key } } : {})
      .withResponse();
    const s = { id: response.headers.get('x-request-id')!, text: '', first: false, outcome: undefined as unknown };
    s.outcome = (async () => {
      for await (const c of data) {
        s.text += c.choices[0]?.delta.content ?? '';
        if (s.text) s.first = true;
      }
      return 'ended';
    })().catch((e: unknown) => e);
    return s;
  }));
  while (!open.every((s) => s.first)) await sleep(20);
  await victim.kill('SIGKILL');

  for (const s of open) {
    const outcome = await within(s.outcome as Promise<unknown>, 10_000, `stream ${s.id}`);
    expect(cutMessage(outcome)).toBe('terminated'); // cut: the SDK throws (fetch's error), it does not end as if the answer were whole
    expect(s.text.length).toBeGreaterThan(0);
  }
  const finals = await Promise.all(open.map((s) => pollRequest(survivor.url, s.id, (r) => TERMINAL.includes(r.status), 20_000)));
  for (const [i, r] of finals.entries()) {
    expect(r).toMatchObject({ status: 'completed', attempts: 1, result: { choices: [{ message: { content: `Mock reply to: ${words(12, `c${i}-`)}` } }] } });
    expect(r.result.choices[0].message.content.startsWith(open[i].text)).toBe(true); // what the client saw is a prefix of it
  }
  expect((await calls()) - before).toBe(open.length); // exactly one provider call each: the kill retried nothing

  // The careful client retries with its Idempotency-Key on the other replica: the same request, streamed whole, no new call.
  const again = await sdk(survivor).chat.completions
    .create({ model, messages: [{ role: 'user', content: words(12, 'c0-') }], stream: true, metadata: { mock_chunk_delay_ms: '250' } }, { headers: { 'Idempotency-Key': key } })
    .withResponse();
  let text = '';
  for await (const c of again.data) text += c.choices[0]?.delta.content ?? '';
  expect(again.response.headers.get('x-request-id')).toBe(open[0].id);
  expect(text).toBe(finals[0].result.choices[0].message.content);
  expect((await calls()) - before).toBe(open.length);

  await victim.restart(); // for the next test
}, 60_000);

it('a background Responses stream read through a killed ingress resumes on the other replica: every event once, in order', async () => {
  const [survivor, victim] = ingress; // the other way round from the test before: the restarted replica serves now
  const before = await calls();
  const input = words(16, 'r');
  const stream = await sdk(victim).responses.create({ model, input, background: true, stream: true, metadata: { mock_chunk_delay_ms: '250' } });
  const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
  const reading = (async () => { for await (const e of stream) seen.push(e); return 'ended'; })().catch((e: unknown) => e);
  while (seen.filter((e) => e.type === 'response.output_text.delta').length < 3) await sleep(20);
  await victim.kill('SIGKILL');
  expect(cutMessage(await within(reading, 10_000, 'responses stream'))).toBe('terminated');
  expect(seen.at(-1)!.type).not.toBe('response.completed');

  const id = (seen[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
  const last = seen.at(-1)!.sequence_number;
  const resumed: OpenAI.Responses.ResponseStreamEvent[] = [];
  await within((async () => { for await (const e of await sdk(survivor).responses.retrieve(id, { stream: true, starting_after: last })) resumed.push(e); })(), 30_000, 'resumed stream');
  const all = [...seen, ...resumed];
  expect(all.map((e) => e.sequence_number)).toEqual(all.map((_e, i) => i));
  expect(all.at(-1)!.type).toBe('response.completed');
  const stored = await sdk(survivor).responses.retrieve(id);
  expect(stored).toMatchObject({ status: 'completed', output_text: `Mock reply to: ${input}` });
  expect(all.map((e) => (e.type === 'response.output_text.delta' ? e.delta : '')).join('')).toBe(stored.output_text);
  expect((await calls()) - before).toBe(1);
  await victim.restart();
}, 60_000);

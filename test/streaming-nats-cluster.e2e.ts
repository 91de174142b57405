import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { metricValue, startMesh, startNatsCluster, type Mesh, type NatsCluster } from '@reqrun/testing';
import { pollRequest } from './support/records.js';
import { explained, MeshLines } from './support/mesh-lines.js';
import { within } from './support/within.js';

/**
 * A 3-node NATS cluster (R3 streams and buckets) loses the leader of `RR_CHUNKS` while clients stream, and gets it
 * back: every stream completes whole (none hangs, none fails), a Responses stream whose client lost its connection
 * meanwhile resumes by id with every event once, and every request completed as its client saw it, on one call.
 */
let mesh: Mesh<NatsCluster>;
let openai: OpenAI;
let anthropic: Anthropic;
const lines = new MeshLines();
const model = 'mock-1';
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
const delay = { mock_chunk_delay_ms: '250' };


beforeAll(async () => {
  const cluster = await startNatsCluster({ size: 3 });
  mesh = await startMesh({
    nats: cluster,
    config: { nats: { replicas: 3, ack_wait_ms: 3000 }, retry: { max_attempts: 10, base_delay_ms: 50, max_delay_ms: 500 }, streaming: { keepalive_s: 1 } },
    env: { REQRUN_LOG_LEVEL: 'debug' },
    onLine: lines.onLine,
  });
  openai = new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: 'dev', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: mesh.url, apiKey: 'dev', maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await mesh?.stop();
  await mesh?.nats.stop();
});

/** The node leading a stream's replicas (nodes are named n1…n3 in start order). */
async function leaderOf(stream: string): Promise<number> {
  const nc = await connect({ servers: mesh.nats.url.split(',') });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    return Number(info.cluster!.leader!.slice(1)) - 1;
  } finally {
    await nc.close();
  }
}

type Read = { what: string; id: string; text: string; first: boolean; outcome?: Promise<unknown> };

it('streams open while the chunks leader is killed and brought back all complete whole; a cut Responses stream resumes to the end', async () => {
  const adapters = mesh.apps.find((a) => a.app === 'adapters')!;
  const calls = () => metricValue(`${adapters.url}/metrics`, 'reqrun_upstream_calls_total', { provider: 'mock' });
  const before = await calls();

  const chats: Read[] = await Promise.all([0, 1, 2].map(async (i) => {
    const { data, response } = await openai.chat.completions
      .create({ model, messages: [{ role: 'user', content: words(20, `c${i}-`) }], stream: true, metadata: delay })
      .withResponse();
    const s: Read = { what: `chat ${i}`, id: response.headers.get('x-request-id')!, text: '', first: false };
    s.outcome = (async () => {
      for await (const c of data) if ((s.text += c.choices[0]?.delta.content ?? '')) s.first = true;
      return 'ended';
    })().catch((e: unknown) => e);
    return s;
  }));
  const msg: Read = { what: 'messages', id: '', text: '', first: false };
  const ms = anthropic.messages.stream({ model, max_tokens: 256, messages: [{ role: 'user', content: words(20, 'm') }], metadata: delay } as never);
  ms.on('streamEvent', (e) => void (e.type === 'message_start' && (msg.id = e.message.id))).on('text', (t) => void ((msg.text += t), (msg.first = true)));
  msg.outcome = ms.finalMessage().then(() => 'ended', (e: unknown) => e);

  // Two background Responses streams: one read straight through; one whose client loses its connection meanwhile.
  const through: OpenAI.Responses.ResponseStreamEvent[] = [];
  const throughDone = (async () => {
    for await (const e of await openai.responses.create({ model, input: words(20, 't'), background: true, stream: true, metadata: delay })) through.push(e);
    return 'ended';
  })().catch((e: unknown) => e);
  const ctl = new AbortController();
  const cutEvents: OpenAI.Responses.ResponseStreamEvent[] = [];
  const cutDone = (async () => {
    for await (const e of await openai.responses.create({ model, input: words(20, 'k'), background: true, stream: true, metadata: delay }, { signal: ctl.signal })) cutEvents.push(e);
    return 'ended';
  })().catch((e: unknown) => e);

  const hasText = (es: OpenAI.Responses.ResponseStreamEvent[]) => es.some((e) => e.type === 'response.output_text.delta');
  await within((async () => { while (![...chats, msg].every((s) => s.first) || !hasText(through) || !hasText(cutEvents)) await sleep(20); })(), 20_000, 'first pieces');

  const victim = mesh.nats.nodes[await leaderOf('RR_CHUNKS')];
  await victim.kill('SIGKILL');
  await sleep(1000);
  ctl.abort(); // the client's connection drops while the cluster fails over
  await cutDone; // the SDK ends the iteration quietly on an abort
  expect(cutEvents.at(-1)!.type).not.toBe('response.completed');
  await victim.restart();

  // Every stream ends whole (the chunk publishes that failed during the election were sent again, in order), and its
  // request completed with what its client saw, on its one provider call.
  for (const s of [...chats, msg]) {
    expect([s.what, await explained(within(s.outcome!, 45_000, s.what), lines, s.id)]).toEqual([s.what, 'ended']);
    const r = await pollRequest(mesh.url, s.id, (x) => TERMINAL.includes(x.status), 30_000);
    const stored = s === msg ? r.result.content[0].text : r.result.choices[0].message.content;
    expect([s.what, r.status, r.attempts, s.text]).toEqual([s.what, 'completed', 1, stored]);
    expect(stored.endsWith('19')).toBe(true);
  }
  const textOf = (es: OpenAI.Responses.ResponseStreamEvent[]) => es.map((e) => (e.type === 'response.output_text.delta' ? e.delta : '')).join('');
  expect(await within(throughDone, 45_000, 'responses read through')).toBe('ended');
  const throughId = (through[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
  expect(through.map((e) => e.sequence_number)).toEqual(through.map((_e, i) => i));
  expect(through.at(-1)!.type).toBe('response.completed');
  expect(textOf(through)).toBe((await openai.responses.retrieve(throughId)).output_text);

  // The cut one resumes by id where its client stopped: every event once, in order, to the stored end.
  const id = (cutEvents[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
  const rest: OpenAI.Responses.ResponseStreamEvent[] = [];
  await within((async () => {
    for await (const e of await openai.responses.retrieve(id, { stream: true, starting_after: cutEvents.at(-1)!.sequence_number })) rest.push(e);
  })(), 45_000, 'resumed responses stream');
  const all = [...cutEvents, ...rest];
  expect(all.map((e) => e.sequence_number)).toEqual(all.map((_e, i) => i));
  expect(all.at(-1)!.type).toBe('response.completed');
  const stored = await openai.responses.retrieve(id);
  expect(stored).toMatchObject({ status: 'completed', output_text: `Mock reply to: ${words(20, 'k')}` });
  expect(textOf(all)).toBe(stored.output_text);

  // One provider call each: nothing was run twice out of sight.
  const finals = await Promise.all([...chats.map((s) => s.id), msg.id, throughId, id].map((x) => pollRequest(mesh.url, x, (r) => TERMINAL.includes(r.status), 30_000)));
  expect(finals.map((r) => `${r.status} ${r.attempts}`)).toEqual(finals.map(() => 'completed 1'));
  expect((await calls()) - before).toBe(finals.length);
}, 60_000);

import { setTimeout as sleep } from 'node:timers/promises';
import { slow, startFakeUpstream, startMesh, type AppProcess, type FakeUpstream, type Mesh } from '@reqrun/testing';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';

/**
 * Steady load (~200 req/s of mixed wait / async / idempotent-retrying chat requests, 50–500 ms upstream latency)
 * while one replica of each app is killed with SIGKILL and restarted: adapters, then scheduler, then ingress (two
 * replicas of each keep the mesh serving). Afterwards every accepted request (200/202) has completed, and every call
 * the upstream received is on the history of the one record it belongs to: no hidden duplicates.
 *
 * Provider calls are counted by the upstream itself, not by the adapters' `reqrun_upstream_calls_total`: that
 * counter dies with a killed adapter (and counts a call only once it returned, so a call cut off by the kill is never
 * in it). The upstream is the test's fake OpenAI server (an `openai`-type provider), which records each call as it
 * arrives, in the test process that no kill touches; each request's unique text ties a call to its record.
 */
const RATE = Number(process.env.FAULT_RPS ?? 200); // requests started per second
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired'];
const run = Date.now().toString(36);

let upstream: FakeUpstream;
let mesh: Mesh;

beforeAll(async () => {
  upstream = await startFakeUpstream({ kind: 'openai' });
  // Latency per request, from the text it carries ("... lat=250").
  upstream.setDefault((raw) => slow(Number(/lat=(\d+)/.exec(raw)?.[1] ?? 50)));
  mesh = await startMesh({
    apps: { ingress: 2, scheduler: 2, adapters: 2 },
    config: {
      nats: { ack_wait_ms: 2000 }, // a killed adapter's attempt is redelivered (and recorded as lost) after 2 s
      retry: { max_attempts: 10, base_delay_ms: 20, max_delay_ms: 200 },
      wait: { default_s: 5, max_s: 10, sync_s: 10 },
      breaker: { failures: 100_000, cooldown_ms: 100 },
      providers: [{ name: 'up', type: 'openai', base_url: upstream.url, concurrency: 128, timeout_ms: 30_000 }],
      models: { 'm-1': { targets: [{ provider: 'up', model: 'm-1' }] } },
    },
  });
}, 90_000);
afterAll(async () => {
  await mesh?.stop();
  await upstream?.close();
});

type Sent = { tag: string; mode: 'wait' | 'async' | 'idem'; key?: string; id?: string; statuses: (number | string)[] };

it('loses no accepted request and runs none twice while an adapter, a scheduler and an ingress are killed under load', async () => {
  const ingresses = mesh.apps.filter((a) => a.app === 'ingress');
  const replica = (app: string, i: number): AppProcess => mesh.apps.filter((a) => a.app === app)[i];
  let turn = 0;
  const anyIngress = () => ingresses[turn++ % ingresses.length];

  const sent: Sent[] = [];
  const post = async (body: object): Promise<{ status: number | string; id?: string }> => {
    try {
      const res = await fetch(`${anyIngress().url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000),
      });
      const json: any = await res.json().catch(() => ({}));
      return { status: res.status, id: json?.id };
    } catch (e) {
      return { status: `error: ${(e as Error).message}` }; // reset / refused by the killed ingress: not accepted
    }
  };

  const one = async (i: number) => {
    const lat = 50 + ((i * 37) % 451);
    const mode = (['wait', 'async', 'idem'] as const)[i % 3];
    const s: Sent = { tag: `f-${run}-${i}`, mode, statuses: [] };
    sent.push(s);
    const body: Record<string, unknown> = {
      model: 'm-1', messages: [{ role: 'user', content: `${s.tag} lat=${lat}` }], completion_window: 'asap',
      ...(mode === 'async' ? { wait: false } : { wait: true, wait_timeout: 1 }),
    };
    if (mode !== 'idem') {
      const r = await post(body);
      s.statuses.push(r.status);
      if (r.status === 200 || r.status === 202) s.id = r.id;
      return;
    }
    // A careful client: retries with the same Idempotency-Key until it is answered (on whichever ingress is up).
    s.key = `idem-${s.tag}`;
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const r = await post({ ...body, idempotency_key: s.key });
      s.statuses.push(r.status);
      if (r.status === 200 || r.status === 202) return void (s.id = r.id);
      await sleep(200);
    }
  };

  // Open-loop load at RATE/s until stopped (in-flight capped, so a stalled mesh cannot make it grow without bound).
  const inflight = new Set<Promise<void>>();
  let stop = false;
  const loader = (async () => {
    const t0 = Date.now();
    for (let i = 0; !stop; i++) {
      const due = t0 + (i * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      while (inflight.size >= 600) await Promise.race(inflight);
      const p = one(i).finally(() => inflight.delete(p));
      inflight.add(p);
    }
  })();

  const t0 = Date.now();
  const phases: Record<string, number> = {};
  await sleep(1500);
  // One kill every 2 s; each victim restarts meanwhile (slow on a loaded machine), its other replica carrying the load.
  const restarts: Promise<void>[] = [];
  for (const app of ['adapters', 'scheduler', 'ingress']) {
    const victim = replica(app, 0);
    await victim.kill('SIGKILL');
    phases[`${app}_killed_s`] = (Date.now() - t0) / 1000;
    restarts.push(sleep(300).then(() => victim.restart()).then(() => void (phases[`${app}_back_s`] = (Date.now() - t0) / 1000)));
    await sleep(2000);
  }
  await Promise.all(restarts);
  await sleep(1000);
  stop = true;
  await loader;
  await Promise.all(inflight);
  phases.load_s = (Date.now() - t0) / 1000;

  // Every accepted request reaches a terminal state (polled on any live ingress).
  const accepted = sent.filter((s) => s.id);
  const final = new Map<string, any>();
  const pollUntil = Date.now() + 90_000;
  while (final.size < accepted.length && Date.now() < pollUntil) {
    const open = accepted.filter((s) => !final.has(s.id!));
    for (let k = 0; k < open.length; k += 32) {
      await Promise.all(open.slice(k, k + 32).map(async (s) => {
        const r: any = await (await fetch(`${anyIngress().url}/v1/requests/${s.id}`)).json().catch(() => null);
        if (r && TERMINAL.includes(r.status)) final.set(s.id!, r);
      }));
    }
    if (final.size < accepted.length) await sleep(500);
  }
  phases.polled_s = (Date.now() - t0) / 1000;
  const unfinished = accepted.filter((s) => !final.has(s.id!)).map((s) => `${s.id} (${s.tag})`);
  expect(unfinished).toEqual([]);
  expect(accepted.filter((s) => final.get(s.id!).status !== 'completed').map((s) => `${s.id} ${final.get(s.id!).status}`)).toEqual([]);
  for (const s of accepted) expect(final.get(s.id!).result.choices[0].message.content).toBe(`Fake openai reply to: ${s.tag} lat=${50 + ((Number(s.tag.split('-').pop()) * 37) % 451)}`);

  // Refusals are only the killed ingress's dropped connections or a clear 503; nothing else.
  const odd = sent.flatMap((s) => s.statuses.filter((x) => !(x === 200 || x === 202 || x === 503 || (typeof x === 'string' && x.startsWith('error')))).map((x) => `${s.tag}: ${x}`));
  expect(odd).toEqual([]);
  // The careful client always got its answer in the end.
  expect(sent.filter((s) => s.mode === 'idem' && !s.id).map((s) => s.tag)).toEqual([]);

  // Every record in NATS, including those made for a caller whose connection died before it heard back (not accepted,
  // but they still run). Wait (bounded) until the ones that reached a provider are done too.
  let records: any[] = [];
  const recordsUntil = Date.now() + 30_000;
  for (;;) {
    records = await allRecords(mesh.nats.url);
    const busy = records.filter((r) => !TERMINAL.includes(r.status));
    if (busy.length === 0 || Date.now() > recordsUntil) break;
    await sleep(500);
  }
  phases.records_read_s = (Date.now() - t0) / 1000;
  // A submission whose ingress was killed before its record was stored is abandoned with a failed record of its own
  // (no body, no attempt; its caller never got the id): counted, and left out of the checks below.
  const abandoned = records.filter((r) => r.error?.code === 'request_not_stored');
  expect(abandoned.filter((r) => r.attempts !== 0 || accepted.some((s) => s.id === r.id)).map((r) => r.id)).toEqual([]);
  records = records.filter((r) => !abandoned.includes(r));
  const tagOf = (r: any) => String(r.body?.messages?.[0]?.content ?? '').split(' ')[0];
  const byTag = new Map<string, any[]>();
  for (const r of records) byTag.set(tagOf(r), [...(byTag.get(tagOf(r)) ?? []), r]);

  // One record per request, even for the client that sent the same request several times (one key, one id).
  expect([...byTag].filter(([, rs]) => rs.length > 1).map(([t, rs]) => `${t}: ${rs.map((r) => r.id).join(', ')}`)).toEqual([]);
  for (const s of accepted) expect(byTag.get(s.tag)?.[0].id).toBe(s.id);
  // Re-sending an idempotent request now re-attaches to its one record, finished, and runs nothing again.
  const callsBefore = upstream.calls.length;
  for (const s of sent.filter((x) => x.mode === 'idem').slice(0, 20)) {
    const r = await post({ model: 'm-1', messages: [{ role: 'user', content: `${s.tag} lat=${50 + ((Number(s.tag.split('-').pop()) * 37) % 451)}` }], completion_window: 'asap', wait: false, idempotency_key: s.key });
    expect(r.id).toBe(s.id); // 200 with the completion: a finished request answers at once, even with wait: false
    expect(r.status).toBe(200);
  }
  expect(upstream.calls.length).toBe(callsBefore);

  // Every call the upstream received is on its record's history: a record's calls are between its attempts that
  // surely reached the upstream (answered, or failed with the upstream's HTTP status) and all of them (an attempt lost
  // with a killed adapter, cut by a timeout or failed on the network may or may not have reached it).
  const calls = new Map<string, number>();
  for (const c of upstream.calls) {
    const t = String(c.body?.messages?.[0]?.content ?? '').split(' ')[0];
    calls.set(t, (calls.get(t) ?? 0) + 1);
  }
  expect([...calls.keys()].filter((t) => !byTag.has(t))).toEqual([]); // no call without a record
  const wrong: string[] = [];
  let attempts = 0;
  let lost = 0;
  for (const [tag, [r]] of byTag) {
    const n = calls.get(tag) ?? 0;
    const maybe = r.history.filter((h: any) => h.outcome !== 'completed' && h.status_code === undefined);
    attempts += r.attempts;
    lost += maybe.length;
    if (r.history.length !== r.attempts || n > r.attempts || n < r.attempts - maybe.length) {
      wrong.push(`${r.id} ${tag}: ${n} calls, ${r.attempts} attempts: ${JSON.stringify(r.history.map((h: any) => [h.outcome, h.status_code, h.error?.code]))}`);
    }
    if (TERMINAL.includes(r.status) && r.status !== 'completed') wrong.push(`${r.id} ${tag}: ${r.status}`);
    if (!TERMINAL.includes(r.status) && r.attempts > 0) wrong.push(`${r.id} ${tag}: still ${r.status}`);
  }
  expect(wrong).toEqual([]);
  expect(upstream.calls.length).toBeLessThanOrEqual(attempts);
  expect(upstream.calls.length).toBeGreaterThanOrEqual(attempts - lost);

  // No record is left queued with nothing to run it: the submission is sent before (never after) the record.
  const stranded = records.filter((r) => r.status === 'queued' && r.attempts === 0).map((r) => r.id);
  expect(stranded).toEqual([]);
  const failedAttempts: Record<string, number> = {};
  for (const r of records) for (const h of r.history) if (h.outcome !== 'completed') failedAttempts[`${h.error?.code}/${h.status_code ?? '-'}`] = (failedAttempts[`${h.error?.code}/${h.status_code ?? '-'}`] ?? 0) + 1;
  const summary = {
    sent: sent.length, accepted: accepted.length, refused: sent.filter((s) => !s.id).length,
    idempotent_retries: sent.filter((s) => s.mode === 'idem').reduce((n, s) => n + s.statuses.length - 1, 0),
    records: records.length, abandoned: abandoned.length, upstream_calls: upstream.calls.length, attempts, maybe_reached: lost, failed_attempts: failedAttempts, stranded, phases,
  };
  console.log(`fault-load: ${JSON.stringify(summary)}`);
  expect(accepted.length).toBeGreaterThan(sent.length / 2);
  // The mesh is whole again: every replica ready.
  for (const a of mesh.apps) expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
}, 240_000);

/** Every request record in the bucket, read straight from NATS (64 reads at a time: thousands of them). */
async function allRecords(natsUrl: string): Promise<any[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const kv = await new Kvm(nc).open('rr-requests');
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    const out: any[] = [];
    for (let i = 0; i < keys.length; i += 64) {
      const entries = await Promise.all(keys.slice(i, i + 64).map((k) => kv.get(k)));
      for (const e of entries) if (e?.operation === 'PUT') out.push(e.json());
    }
    return out;
  } finally {
    await nc.close();
  }
}

import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { names, type BreakerState } from '@reqrun/contracts';
import { answer, failWith, metricValue, startFakeUpstream, startMesh, type FakeUpstream, type Mesh, type ReceivedCall } from '@reqrun/testing';
import { pollRequest, post, readRecord } from './support/records.js';
import { until } from './support/within.js';

/**
 * A half-open circuit breaker lets one probe call through, through the running mesh with two scheduler replicas (the
 * claim is shared state): requests queued for a provider while its breaker is open must not all reach it when the
 * cool-down ends. Each provider is a fake upstream that fails until told otherwise; calls are counted where it receives them.
 * The probe's answer comes `PROBE_MS` after the call arrives, so "nothing else arrived before the probe's outcome" is
 * a comparison of arrival times, whatever the machine's load.
 */
const COOLDOWN_MS = 2500;
const PROBE_MS = 1500;
const QUEUED = 5;
let probeOk: FakeUpstream; // provider pa: its probe succeeds
let probeFails: FakeUpstream; // provider pb: its first probe fails
let probeRefused: FakeUpstream; // provider pc: its probe is answered with the request's own error (400)
let probeCancelled: FakeUpstream; // provider pd: its probe's request is cancelled by its caller
let mesh: Mesh;

const accept = async (model: string, content: string): Promise<string> => {
  const res = await post(`${mesh.url}/v1/chat/completions`, { model, wait: false, messages: [{ role: 'user', content }] });
  expect(res.status).toBe(202);
  return (await res.json()).id;
};
const finished = (ids: string[], timeoutMs = 20_000) =>
  Promise.all(ids.map((id) => pollRequest(mesh.url, id, (r) => ['completed', 'failed', 'expired', 'cancelled'].includes(r.status), timeoutMs)));
const schedulersSay = async (provider: string, paused: 0 | 1) =>
  (await Promise.all(mesh.apps.filter((a) => a.app === 'scheduler').map((s) => metricValue(`${s.url}/metrics`, 'reqrun_provider_paused', { provider })))).every((v) => v === paused);
const breaker = async (provider: string) => readRecord(mesh.nats.url, provider, names('rr').breakersBucket);
const byArrival = (calls: ReceivedCall[]) => [...calls].sort((a, b) => a.at - b.at);

/** Two failing requests open the breaker (the threshold); both schedulers and the ingress then route around it. */
const open = async (provider: string, model: string): Promise<{ open_until: number }> => {
  const ids = [await accept(model, `open ${provider} 1`), await accept(model, `open ${provider} 2`)];
  expect((await finished(ids)).map((r) => r.status)).toEqual(['failed', 'failed']);
  await until(`the schedulers to see ${provider} open`, () => schedulersSay(provider, 1));
  await new Promise((r) => setTimeout(r, 100)); // the ingress's copy comes through the same watch
  return breaker(provider);
};

beforeAll(async () => {
  [probeOk, probeFails, probeRefused, probeCancelled] = await Promise.all([1, 2, 3, 4].map(() => startFakeUpstream({ kind: 'openai' })));
  mesh = await startMesh({
    apps: { scheduler: 2 },
    config: {
      log: { level: 'warn' },
      retry: { max_attempts: 1 }, // each request is one call: the upstream's count is the attempts' count
      breaker: { failures: 2, cooldown_ms: COOLDOWN_MS },
      providers: [
        { name: 'pa', type: 'openai', base_url: probeOk.url },
        { name: 'pb', type: 'openai', base_url: probeFails.url },
        { name: 'pc', type: 'openai', base_url: probeRefused.url },
        { name: 'pd', type: 'openai', base_url: probeCancelled.url },
      ],
      models: {
        'probe-ok': { targets: [{ provider: 'pa', model: 'pa-up' }] },
        'probe-fails': { targets: [{ provider: 'pb', model: 'pb-up' }] },
        'probe-refused': { targets: [{ provider: 'pc', model: 'pc-up' }] },
        'probe-cancelled': { targets: [{ provider: 'pd', model: 'pd-up' }] },
      },
    },
  });
}, 60_000);
afterAll(async () => {
  await mesh?.stop();
  await Promise.all([probeOk, probeFails, probeRefused, probeCancelled].map((f) => f?.close()));
});

describe('a half-open circuit breaker', () => {
  it('lets one probe through when the cool-down ends; after its success the requests held behind it flow and all complete', async () => {
    probeOk.setDefault(failWith(503));
    const { open_until } = await open('pa', 'probe-ok');
    probeOk.setDefault(answer({ delayMs: PROBE_MS }));
    const before = probeOk.calls.length;
    const ids = await Promise.all(Array.from({ length: QUEUED }, (_, i) => accept('probe-ok', `held ${i}`)));
    await until('the probe call', () => probeOk.calls.length > before, 15_000);
    await until('both schedulers to show the provider paused behind its probe', () => schedulersSay('pa', 1));

    const done = await finished(ids);
    expect(done.map((r) => [r.status, r.attempts])).toEqual(ids.map(() => ['completed', 1]));
    const [probe, ...rest] = byArrival(probeOk.calls.slice(before));
    expect(rest).toHaveLength(QUEUED - 1);
    expect(probe.at).toBeGreaterThanOrEqual(open_until); // held while open, not called
    // Nothing else reached the provider until the probe had answered.
    expect(rest.map((c) => c.at - probe.at).filter((ms) => ms < PROBE_MS)).toEqual([]); // ms after the probe
    expect(await breaker('pa')).toEqual({ failures: 0, open_until: 0 });
    await until('both schedulers to show the provider resumed', () => schedulersSay('pa', 0));
  });

  it("re-opens on the probe's failure with that one call made; the next cool-down's probe closes it and the rest complete", async () => {
    probeFails.setDefault(failWith(503));
    const first = await open('pb', 'probe-fails');
    const before = probeFails.calls.length;
    const ids = await Promise.all(Array.from({ length: QUEUED }, (_, i) => accept('probe-fails', `held ${i}`)));

    await until('the first probe', () => probeFails.calls.length > before, 15_000);
    await until('the breaker to re-open', async () => (await breaker('pb')).open_until > first.open_until);
    await until('the schedulers to see it', () => schedulersSay('pb', 1));
    const reopened = await breaker('pb');
    expect(reopened.open_until).toBeGreaterThan(first.open_until);
    expect(reopened.probe_until).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300)); // any attempt that slipped past the probe would be here by now
    expect(probeFails.calls.length - before).toBe(1);

    probeFails.setDefault(answer({ delayMs: PROBE_MS }));
    const done = await finished(ids);
    const [failedProbe, probe, ...rest] = byArrival(probeFails.calls.slice(before));
    expect(failedProbe.answered).toBe(503);
    expect(probe.at).toBeGreaterThanOrEqual(reopened.open_until);
    expect(rest).toHaveLength(QUEUED - 2);
    expect(rest.map((c) => c.at - probe.at).filter((ms) => ms < PROBE_MS)).toEqual([]); // ms after the probe
    // The failed probe's request fails (one attempt allowed); every other one completes.
    expect(done.map((r) => r.status).sort()).toEqual([...Array(QUEUED - 1).fill('completed'), 'failed']);
  });

  it("closes on a probe answered with the request's own error (the provider is up): the rest go without waiting out the probe's lease", async () => {
    probeRefused.setDefault(failWith(503));
    await open('pc', 'probe-refused');
    probeRefused.setDefault(answer());
    probeRefused.plan(null, failWith(400));
    // Every probe claimed on pc from here on, as the breaker's key changes.
    const nc = await connect({ servers: mesh.nats.url });
    const claims = new Set<number>();
    const watch = await (await new Kvm(nc).open(names('rr').breakersBucket)).watch({ key: 'pc' });
    void (async () => {
      for await (const e of watch) if (e.operation === 'PUT' && e.json<BreakerState>().probe_until) claims.add(e.json<BreakerState>().probe_until!);
    })();
    const before = probeRefused.calls.length;
    const ids = await Promise.all(Array.from({ length: QUEUED }, (_, i) => accept('probe-refused', `held ${i}`)));

    const done = await finished(ids);
    const [probe, ...rest] = byArrival(probeRefused.calls.slice(before));
    expect(probe.answered).toBe(400);
    expect(rest).toHaveLength(QUEUED - 1);
    expect(done.map((r) => r.status).sort()).toEqual([...Array(QUEUED - 1).fill('completed'), 'failed']);
    expect(await breaker('pc')).toEqual({ failures: 0, open_until: 0 });
    // One probe: without the 400 ending it, its lease would have run out and a second probe been claimed.
    watch.stop();
    await nc.close();
    expect(claims.size).toBe(1);
  });

  it('gives the probe back when its caller cancels it (that says nothing about the provider): the next one goes without waiting out the lease', async () => {
    probeCancelled.setDefault(failWith(503));
    await open('pd', 'probe-cancelled');
    probeCancelled.setDefault(answer({ delayMs: 30_000 })); // the probe would run for longer than its lease
    // Every write of pd's breaker from here on, with the time NATS stored it.
    const nc = await connect({ servers: mesh.nats.url });
    const writes: { at: number; state: BreakerState }[] = [];
    const watch = await (await new Kvm(nc).open(names('rr').breakersBucket)).watch({ key: 'pd' });
    void (async () => {
      for await (const e of watch) if (e.operation === 'PUT') writes.push({ at: e.created.getTime(), state: e.json<BreakerState>() });
    })();
    const before = probeCancelled.calls.length;
    const ids = await Promise.all(Array.from({ length: QUEUED }, (_, i) => accept('probe-cancelled', `held ${i}`)));
    await until('the probe call', () => probeCancelled.calls.length > before, 15_000);
    await until('the claim seen by the watch', () => writes.some((w) => w.state.probe_until));
    const claim = writes.find((w) => w.state.probe_until)!.state.probe_until!;
    const probeId = ids[Number(probeCancelled.calls[before].body.messages[0].content.split(' ')[1])];
    probeCancelled.setDefault(answer());
    expect((await post(`${mesh.url}/v1/requests/${probeId}/cancel`, {})).status).toBe(200);

    const done = await finished(ids);
    watch.stop();
    await nc.close();
    expect(done.map((r) => r.status).sort()).toEqual(['cancelled', ...Array(QUEUED - 1).fill('completed')]);
    // Given back (the same breaker without the lease) before the lease would have run out.
    const given = writes.find((w) => w.at > claim - COOLDOWN_MS && !w.state.probe_until && w.state.failures > 0);
    expect(given?.at).toBeLessThan(claim);
  });
});

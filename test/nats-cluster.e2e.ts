import { metricValue, startMesh, startNatsCluster, type Mesh, type NatsCluster } from '@reqrun/testing';
import { pollRequest, post } from './support/records.js';

/** A 3-node NATS cluster with R3 streams and buckets loses a node under load: nothing accepted is lost or run twice. */
let mesh: Mesh<NatsCluster>;

beforeAll(async () => {
  const cluster = await startNatsCluster({ size: 3 });
  mesh = await startMesh({ nats: cluster, config: { nats: { replicas: 3, ack_wait_ms: 3000 }, retry: { max_attempts: 10, base_delay_ms: 50, max_delay_ms: 500 } } });
}, 60_000);
afterAll(async () => {
  await mesh?.stop();
  await mesh?.nats.stop();
});

it('keeps every accepted request when a node is killed and brought back under load', async () => {
  const accepted: string[] = [];
  let refused = 0;
  let probesAccepted = 0;
  const send = async (i: number) => {
    const res = await post(`${mesh.url}/v1/chat/completions`, {
      model: 'mock-1', messages: [{ role: 'user', content: `c${i}` }], wait: i % 2 === 0, wait_timeout: 1, completion_window: 'asap',
      metadata: { mock_latency_ms: String(50 + (i % 4) * 100) },
    });
    if (res.status === 200 || res.status === 202) accepted.push((await res.json()).id);
    else {
      expect(res.status).toBe(503); // refused while NATS fails over: said clearly, nothing half-written
      refused++;
    }
  };
  // Probe both ways a request is queued (asap: straight to its provider's dispatch queue; standard: through the
  // scheduler), since their streams may take their turns to become available again.
  const waitUntilAccepting = async () => {
    for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
      const probes = await Promise.all(['asap', 'standard'].map((w) =>
        post(`${mesh.url}/v1/chat/completions`, { model: 'mock-1', messages: [{ role: 'user', content: 'probe' }], wait: false, completion_window: w })));
      for (const res of probes) {
        if (res.status !== 202) continue;
        accepted.push((await res.json()).id);
        probesAccepted++;
      }
      if (probes.every((res) => res.status === 202)) return;
    }
    throw new Error('the mesh did not accept requests again within 30 s of the node coming back');
  };
  const load = async (from: number, n: number) => {
    for (let i = from; i < from + n; i += 10) await Promise.all(Array.from({ length: 10 }, (_, k) => send(i + k)));
  };

  await load(0, 60);
  expect(refused).toBe(0); // a healthy cluster takes everything
  const victim = mesh.nats.nodes[0];
  await victim.kill('SIGKILL');
  await load(60, 60); // while the cluster fails over, some may be refused with a 503
  await victim.restart();
  await waitUntilAccepting();
  const refusedBefore = refused;
  await load(120, 60);
  expect(refused).toBe(refusedBefore); // once it is whole again, the apps have reconnected by themselves

  const finals = await Promise.all(accepted.map((id) => pollRequest(mesh.url, id, (r) => ['completed', 'failed', 'cancelled', 'expired'].includes(r.status), 60_000)));
  expect(finals.filter((r) => r.status !== 'completed').map((r) => `${r.id} ${r.status}`)).toEqual([]);
  expect(accepted.length + refused).toBe(180 + probesAccepted);
  // Every provider call is on some record's history: no hidden duplicates.
  const attempts = finals.reduce((s, r) => s + r.attempts, 0);
  const adapters = mesh.apps.find((a) => a.app === 'adapters')!;
  expect(await metricValue(`${adapters.url}/metrics`, 'reqrun_upstream_calls_total', { provider: 'mock' })).toBe(attempts);
}, 120_000);

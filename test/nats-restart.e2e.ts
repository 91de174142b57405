import { startMesh, type Mesh } from '@reqrun/testing';
import { get, pollRequest, post } from './support/records.js';

/** nats-server (single node, file storage) dies under load and comes back: every accepted request still finishes. */
let mesh: Mesh;

beforeAll(async () => {
  mesh = await startMesh({ config: { nats: { ack_wait_ms: 2000 }, retry: { max_attempts: 10, base_delay_ms: 50, max_delay_ms: 500 } } });
});
afterAll(() => mesh?.stop());

it('completes queued and in-flight requests after nats-server is killed and restarted', async () => {
  const accepted: string[] = [];
  for (let i = 0; i < 60; i++) {
    const res = await post(`${mesh.url}/v1/chat/completions`, {
      model: 'mock-1', messages: [{ role: 'user', content: `n${i}` }], wait: false, completion_window: 'asap', metadata: { mock_latency_ms: String(100 + (i % 5) * 100) },
    });
    expect(res.status).toBe(202);
    accepted.push((await res.json()).id);
  }
  await mesh.nats.kill('SIGKILL');
  // While NATS is away nothing can be stored, so nothing may be accepted either: a clear 5xx, never a 2xx.
  const during = await post(`${mesh.url}/v1/chat/completions`, { model: 'mock-1', messages: [{ role: 'user', content: 'x' }], wait: false });
  expect(during.status).toBeGreaterThanOrEqual(500);
  await mesh.nats.restart();

  const finals = await Promise.all(accepted.map((id) => pollRequest(mesh.url, id, (r) => ['completed', 'failed', 'cancelled', 'expired'].includes(r.status), 60_000)));
  expect(finals.map((r) => r.status)).toEqual(accepted.map(() => 'completed'));
  for (const r of finals) {
    expect(r.result.choices[0].message.content).toMatch(/^Mock reply to: n\d+$/);
    expect(r.history).toHaveLength(r.attempts);
  }
  // After the outage the mesh takes new work as before.
  expect((await post(`${mesh.url}/v1/chat/completions`, { model: 'mock-1', messages: [{ role: 'user', content: 'after' }] })).status).toBe(200);
  expect((await (await get(`${mesh.url}/readyz`)).json()).status).toBe('ready');
}, 90_000);

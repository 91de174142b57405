import { startMesh, type AppProcess, type Mesh } from '@reqrun/testing';
import { get, pollRequest, post } from './support/records.js';

/** Processes die; accepted requests still finish (or stay cancelled), and every attempt is on the record. */
let mesh: Mesh;
const app = (name: string): AppProcess => mesh.apps.find((a) => a.app === name)!;
const submit = async (body: Record<string, unknown>) =>
  (await post(`${mesh.url}/v1/chat/completions`, { model: 'mock-1', messages: [{ role: 'user', content: 'survive' }], wait: false, completion_window: 'asap', ...body })).json();

beforeAll(async () => {
  mesh = await startMesh({ config: { nats: { ack_wait_ms: 2000 }, retry: { max_attempts: 3, base_delay_ms: 20, max_delay_ms: 100 } } });
});
afterAll(() => mesh?.stop());

describe('recovery', () => {
  it('cancels a queued request that no adapter has started, and it never runs', async () => {
    await app('adapters').stop();
    const { id } = await submit({});
    expect((await (await get(`${mesh.url}/v1/requests/${id}`)).json()).status).toBe('queued');
    const cancelled = await (await post(`${mesh.url}/v1/requests/${id}/cancel`, {})).json();
    expect(cancelled).toMatchObject({ status: 'cancelled', attempts: 0 });
    await app('adapters').restart();
    // A request sent after the restart finishing means the adapters have seen the cancelled one's dispatch too.
    const later = await submit({});
    await pollRequest(mesh.url, later.id, (r) => r.status === 'completed');
    expect(await (await get(`${mesh.url}/v1/requests/${id}`)).json()).toMatchObject({ status: 'cancelled', attempts: 0, history: [] });
  });

  it('retries an attempt whose adapter was killed mid-call, and counts it', async () => {
    const { id } = await submit({ metadata: { mock_latency_ms: '3000' } });
    await pollRequest(mesh.url, id, (r) => r.status === 'in_progress');
    await app('adapters').kill('SIGKILL');
    await app('adapters').restart();
    const r = await pollRequest(mesh.url, id, (x) => x.status === 'completed', 30_000);
    expect(r.attempts).toBe(2);
    expect(r.history[0]).toMatchObject({ outcome: 'failed', error: { code: 'worker_lost' } });
    expect(r.history[1].outcome).toBe('completed');
  }, 40_000);

  it('runs requests accepted while the scheduler was down once it is back', async () => {
    await app('scheduler').kill('SIGKILL');
    const { id } = await submit({});
    expect((await (await get(`${mesh.url}/v1/requests/${id}`)).json()).status).toBe('queued');
    await app('scheduler').restart();
    expect((await pollRequest(mesh.url, id, (r) => r.status === 'completed')).attempts).toBe(1);
  });

  it('finishes an accepted request even when the ingress that took it dies', async () => {
    const { id } = await submit({ metadata: { mock_latency_ms: '500' } });
    await app('ingress').kill('SIGKILL');
    await app('ingress').restart();
    expect((await pollRequest(mesh.url, id, (r) => r.status === 'completed')).attempts).toBe(1);
  });

  it('a waiting caller on a restarted ingress still gets the answer by re-attaching with its idempotency key', async () => {
    const body = { model: 'mock-1', messages: [{ role: 'user', content: 'retry me' }], idempotency_key: `crash-${Date.now()}`, metadata: { mock_latency_ms: '800' } };
    const first = post(`${mesh.url}/v1/chat/completions`, body).catch((e) => e);
    await new Promise((r) => setTimeout(r, 200));
    await app('ingress').kill('SIGKILL');
    expect(String(await first)).toMatch(/fetch failed/); // the connection died with the process
    await app('ingress').restart();
    const retry = await post(`${mesh.url}/v1/chat/completions`, body);
    expect(retry.status).toBe(200);
    const c = await retry.json();
    expect((await (await get(`${mesh.url}/v1/requests/${c.id}`)).json()).attempts).toBe(1);
  });
});

import OpenAI from 'openai';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startMesh, type Mesh } from '@reqrun/testing';
import { get } from './support/records.js';

/** No tenants configured: one open tenant, and every app says so loudly, at start-up and in /readyz. */
let mesh: Mesh;
const logs: { app: string; line: string }[] = [];

beforeAll(async () => {
  mesh = await startMesh({ onLine: (app, line) => logs.push({ app, line }) });
});
afterAll(() => mesh?.stop());

it('serves any key (or none) as the tenant "default"', async () => {
  const c = await new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: 'anything', maxRetries: 0 }).chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content: 'hi' }] });
  const view = await (await get(`${mesh.url}/v1/requests/${c.id}`)).json();
  expect(view.status).toBe('completed');
});

it('warns at start-up and in /readyz of every app', async () => {
  for (const app of mesh.apps) {
    const ready = await (await get(`${app.url}/readyz`)).json();
    expect(ready).toMatchObject({ status: 'ready', mode: 'development', warnings: [expect.stringContaining('development mode')] });
    expect([app.app, logs.some((l) => l.app === app.app && l.line.includes('DEVELOPMENT MODE'))]).toEqual([app.app, true]);
  }
});

it('/readyz of every app says not ready, naming it, when a stream it needs is gone (here the chunks stream)', async () => {
  const nc = await connect({ servers: mesh.nats.url });
  try {
    await (await jetstreamManager(nc)).streams.delete('RR_CHUNKS');
  } finally {
    await nc.close();
  }
  for (const app of mesh.apps) {
    const res = await get(`${app.url}/readyz`);
    expect([app.app, res.status]).toEqual([app.app, 503]);
    expect((await res.json()).layout).toEqual({ missing: ['RR_CHUNKS'] });
  }
});

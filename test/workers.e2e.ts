import OpenAI from 'openai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childPids, startApp, startMesh, type AppProcess, type Mesh } from '@reqrun/testing';
import { until } from './support/within.js';

/**
 * `http.<app>.workers`: one app's port served by several processes on one host (node:cluster), each a replica,
 * under one supervising process that replaces a worker that dies and sums their metrics (a dead worker's counts kept).
 */
let mesh: Mesh;
const app = (name: string): AppProcess => mesh.apps.find((a) => a.app === name)!;
const client = () => new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: 'k', maxRetries: 0 });
const chat = (content: string) => client().chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content }] });

/** A chat request on a connection of its own (no keep-alive pool: a kept connection belongs to one worker); its answer's text. */
function chatOnNewConnection(content: string): Promise<string> {
  const body = JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content }] });
  return new Promise((resolve, reject) => {
    const req = request(`${mesh.url}/v1/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => {
        try {
          resolve(JSON.parse(text).choices[0].message.content);
        } catch (e) {
          reject(new Error(`${res.statusCode}: ${text}`, { cause: e }));
        }
      });
    });
    req.on('error', reject).end(body);
  });
}

/** `n` chats on new connections while worker `other` is stopped: the kernel hands them all to the other worker. */
async function whileStopped(other: number, n: number, tag: string): Promise<void> {
  process.kill(other, 'SIGSTOP');
  try {
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => chatOnNewConnection(`${tag} ${i}`)));
    expect(answers).toEqual(answers.map((_, i) => `Mock reply to: ${tag} ${i}`));
  } finally {
    process.kill(other, 'SIGCONT');
  }
}

/** The ingress's two workers, once each has answered alone (a worker just started may not listen yet). */
async function bothServing(): Promise<number[]> {
  let workers: number[] = [];
  await eventually(20_000, () => {
    workers = childPids(app('ingress').pid);
    expect(workers).toHaveLength(2);
  });
  await whileStopped(workers[0], 1, 'the second alone');
  await whileStopped(workers[1], 1, 'the first alone');
  return workers;
}

/** Passes once `check` stops throwing; after `ms`, fails with its last error. */
async function eventually(ms: number, check: () => Promise<void> | void): Promise<void> {
  let last: unknown;
  await until('a check to pass', async () => {
    try {
      await check();
      return true;
    } catch (e) {
      last = e;
      return false;
    }
  }, ms, 100).catch(() => {
    throw last;
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The sum of a counter's samples whose labels include `label`, from an app's /metrics. */
async function counter(a: AppProcess, name: string, label: string): Promise<number> {
  const text = await (await fetch(`${a.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes(label)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

beforeAll(async () => {
  mesh = await startMesh({ config: { http: { ingress: { workers: 2 }, adapters: { workers: 2 } } } });
  await eventually(20_000, async () => {
    expect(childPids(app('ingress').pid)).toHaveLength(2);
    expect(childPids(app('adapters').pid)).toHaveLength(2);
  });
}, 90_000);
afterAll(() => mesh?.stop());

it('serves one port from two ingress workers, and /metrics sums what every worker counted', async () => {
  const [a, b] = await bothServing();
  const before = await counter(app('ingress'), 'reqrun_requests_total', 'status="queued"');
  await whileStopped(a, 6, 'to b');
  await whileStopped(b, 6, 'to a');
  for (let scrape = 0; scrape < 4; scrape++) {
    // each scrape may be answered by either worker: each answers with the sum
    expect(await counter(app('ingress'), 'reqrun_requests_total', 'status="queued"')).toBe(before + 12);
  }
  expect(await counter(app('adapters'), 'reqrun_requests_total', 'status="completed"')).toBeGreaterThanOrEqual(12);

  // Killing a keeps what it had counted at the last scrape (a counter never goes back: Prometheus would read a reset),
  // and its replacement's counts add to it.
  process.kill(a, 'SIGKILL');
  await eventually(20_000, () => {
    const now = childPids(app('ingress').pid);
    expect(now).toHaveLength(2);
    expect(now).not.toContain(a);
  });
  for (let scrape = 0; scrape < 4; scrape++) {
    expect(await counter(app('ingress'), 'reqrun_requests_total', 'status="queued"')).toBe(before + 12);
  }
  await whileStopped(b, 3, 'to the replacement');
  expect(await counter(app('ingress'), 'reqrun_requests_total', 'status="queued"')).toBe(before + 15);
});

it('replaces a worker that dies, and the port keeps answering meanwhile', async () => {
  const supervisor = app('ingress').pid;
  const [victim, survivor] = await bothServing();
  process.kill(victim, 'SIGKILL');
  // New connections go to the survivor (a kept-alive one the dead worker held is reset, as with any crash).
  expect(await chatOnNewConnection('while one is down')).toBe('Mock reply to: while one is down');
  await eventually(20_000, async () => {
    const now = childPids(supervisor);
    expect(now).toHaveLength(2);
    expect(now).toContain(survivor);
    expect(now).not.toContain(victim);
  });
  expect(app('ingress').pid).toBe(supervisor);
  const [replacement] = childPids(supervisor).filter((pid) => pid !== survivor);
  await whileStopped(survivor, 4, 'by the replacement');
  expect(alive(replacement)).toBe(true);
});

it('loses nothing a worker accepted when it is killed under load', async () => {
  const [victim] = await bothServing();
  const accepted: string[] = [];
  let refused = 0;
  const send = async (i: number) => {
    try {
      const res = await fetch(`${mesh.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: `load ${i}` }], wait: false }),
      });
      if (res.status === 202) accepted.push(((await res.json()) as { id: string }).id);
      if (accepted.length === 20) process.kill(victim, 'SIGKILL'); // mid-load: it holds requests being accepted
    } catch {
      refused++; // its connection was the dead worker's: reset, and nothing to find (a client retries it)
    }
  };
  const load = Array.from({ length: 200 }, (_, i) => send(i));
  await Promise.all(load);
  expect(accepted.length + refused).toBe(200);
  expect(accepted.length).toBeGreaterThanOrEqual(20);
  expect(alive(victim)).toBe(false);
  await eventually(30_000, async () => {
    const views = await Promise.all(accepted.map(async (id) => ((await (await fetch(`${mesh.url}/v1/requests/${id}`)).json()) as { status: string }).status));
    expect(views.filter((status) => status !== 'completed')).toEqual([]);
  });
});

it('stops its workers when the supervisor is killed, and starts again with them', async () => {
  const adapters = app('adapters');
  const workers = childPids(adapters.pid);
  expect(workers).toHaveLength(2);
  await adapters.kill('SIGKILL');
  await eventually(20_000, async () => expect(workers.filter(alive)).toEqual([]));
  await adapters.restart();
  await eventually(20_000, async () => expect(childPids(adapters.pid)).toHaveLength(2));
  expect((await chat('after the restart')).choices[0].message.content).toBe('Mock reply to: after the restart');
});

it('stops every worker, then itself, on SIGTERM', async () => {
  const ingress = app('ingress');
  const workers = childPids(ingress.pid);
  expect(workers).toHaveLength(2);
  const logged = ingress.logs().length;
  await ingress.stop();
  expect(ingress.exited).toBe(true);
  expect(workers.filter(alive)).toEqual([]);
  expect(ingress.logs().slice(logged)).not.toMatch(/worker exited; starting another/);
});

it('stops, with an error, when its first workers cannot start (as one process would)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'reqrun-workers-'));
  const configFile = join(dir, 'reqrun.yaml');
  const missingKey = 'REQRUN_TEST_KEY_THAT_IS_NOT_SET';
  await writeFile(configFile, [
    'http: { adapters: { workers: 2 } }',
    `providers: [ { name: oai, type: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: ${missingKey} } ]`,
    'models: { m: { targets: [ { provider: oai } ] } }',
  ].join('\n'));
  const lines: string[] = [];
  const started = startApp({ app: 'adapters', natsUrl: mesh.nats.url, configFile, readyTimeoutMs: 20_000, onLine: (l) => lines.push(l) });
  await expect(started).rejects.toThrow(/exited with code 1/);
  expect(lines.join('\n')).toMatch(new RegExp(`${missingKey} \\(its api_key_env\\) is not set`));
  expect(lines.join('\n')).toMatch(/adapters worker exited before it served; stopping/);
});

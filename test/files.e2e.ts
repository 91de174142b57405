import { createHash, randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import OpenAI, { toFile } from 'openai';
import { startMesh, type Mesh } from '@reqrun/testing';
import { schemaErrors } from './support/openai-schema.js';
import { post } from './support/records.js';
import { until } from './support/within.js';

/**
 * OpenAI's Files API through the running mesh, with the official SDK: upload (multipart, streamed into the object
 * store `rr-files`), retrieve, list and page, download, delete; a file larger than a NATS message byte for byte;
 * tenants apart; every bad upload or query a 4xx in OpenAI's envelope that leaves nothing stored.
 */
const MiB = 1024 * 1024;
const MAX_BYTES = 10 * MiB; // files.max_bytes here: above NATS max_payload (8 MiB in tests), small enough to exceed
const TTL_S = 2_592_000; // requests.ttl_s by default: how long a file is kept
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const keyOf = (t: string) => `rr-e2e-files-${t}-4d7c19a2`;
const auth = (t: string) => ({ authorization: `Bearer ${keyOf(t)}` });
const jsonl = '{"custom_id":"1","method":"POST","url":"/v1/chat/completions","body":{"model":"mock-1","messages":[{"role":"user","content":"hi"}]}}\n';

let mesh: Mesh;
let nc: NatsConnection;
let bucket: ObjectStore;
const clients: Record<string, OpenAI> = {};
const client = (t: string) => (clients[t] ??= new OpenAI({ baseURL: `${mesh.url}/v1`, apiKey: keyOf(t), maxRetries: 0 }));

beforeAll(async () => {
  mesh = await startMesh({
    config: {
      files: { max_bytes: MAX_BYTES },
      providers: [{ name: 'mock', type: 'mock' }],
      models: { 'mock-1': { targets: [{ provider: 'mock' }] } },
      tenants: ['alpha', 'beta', 'gamma'].map((name) => ({ name, keys: [{ sha256: sha256(keyOf(name)) }] })),
    },
  });
  nc = await connect({ servers: mesh.nats.url });
  bucket = await new Objm(nc).open('rr-files');
});
afterAll(async () => {
  await nc?.close();
  await mesh?.stop();
});

const upload = async (t: string, data: string | Buffer, name = 'input.jsonl', purpose = 'batch') =>
  client(t).files.create({ file: await toFile(Buffer.from(data), name), purpose: purpose as 'batch' });
const listIds = async (t: string) => (await client(t).files.list()).data.map((f) => f.id);

/** What the object store holds, read from NATS: live objects and chunk messages (a refused upload leaves neither). */
async function stored(): Promise<{ objects: number; chunks: number }> {
  const objects = (await bucket.list()).filter((o) => !o.deleted).length;
  const info = await (await jetstreamManager(nc)).streams.info('OBJ_rr-files', { subjects_filter: '$O.rr-files.C.>' });
  return { objects, chunks: Object.values(info.state.subjects ?? {}).reduce((a, n) => a + n, 0) };
}

/** A raw multipart POST /v1/files (parts in the order given), as alpha. */
function postForm(parts: [string, string | Blob, string?][]): Promise<Response> {
  const form = new FormData();
  for (const [name, value, filename] of parts) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, value, filename);
  }
  return fetch(`${mesh.url}/v1/files`, { method: 'POST', headers: auth('alpha'), body: form });
}

/** A 4xx in OpenAI's envelope naming `param`. */
async function expectRefused(res: Response, status: number, param: string | null) {
  const body: any = await res.json();
  expect({ status: res.status, param: body.error?.param }).toEqual({ status, param });
  expect(schemaErrors('ErrorResponse', body)).toEqual([]);
  expect(body.error).toMatchObject({ type: 'invalid_request_error', message: expect.any(String) });
  return body.error;
}

/** An SDK call that must fail with `status`, naming `param`. */
async function expectSdkRefused(call: Promise<unknown>, status: number, param: string | null) {
  const e = await call.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(OpenAI.APIError);
  expect({ status: (e as InstanceType<typeof OpenAI.APIError>).status, param: (e as InstanceType<typeof OpenAI.APIError>).param }).toEqual({ status, param });
}

describe('the SDK round trip', () => {
  it('uploads, retrieves, lists, downloads and deletes a file, in OpenAI shapes', async () => {
    const before = Math.floor(Date.now() / 1000);
    const f = await upload('alpha', jsonl);
    expect(f).toEqual({
      id: expect.stringMatching(/^file-[0-9A-Za-z]{24}$/), object: 'file', bytes: Buffer.byteLength(jsonl), created_at: expect.any(Number),
      filename: 'input.jsonl', purpose: 'batch', status: 'processed', expires_at: f.created_at + TTL_S,
    });
    expect(f.created_at).toBeGreaterThanOrEqual(before);
    expect(schemaErrors('OpenAIFile', f)).toEqual([]);

    expect(await client('alpha').files.retrieve(f.id)).toEqual(f);
    const listed = await client('alpha').files.list({ purpose: 'batch' });
    expect(listed.data).toContainEqual(f);
    for (const item of listed.data) expect(schemaErrors('OpenAIFile', item)).toEqual([]);
    expect((await client('alpha').files.list({ purpose: 'batch_output' })).data).toEqual([]);

    const content = await client('alpha').files.content(f.id);
    expect(content.headers.get('content-type')).toBe('application/octet-stream');
    expect(content.headers.get('content-length')).toBe(String(f.bytes));
    expect(await content.text()).toBe(jsonl);

    expect(await client('alpha').files.delete(f.id)).toEqual({ id: f.id, object: 'file', deleted: true });
    await expect(client('alpha').files.retrieve(f.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client('alpha').files.content(f.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client('alpha').files.delete(f.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(await listIds('alpha')).not.toContain(f.id);
  });

  it('pages a list with limit and after, newest first or oldest first', async () => {
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await upload('gamma', `{"n":${i}}\n`, `${i}.jsonl`));
    const all = (await client('gamma').files.list()).data;
    expect(all.map((f) => f.id).sort()).toEqual(made.map((f) => f.id).sort());
    expect(all.map((f) => f.created_at)).toEqual([...all.map((f) => f.created_at)].sort((a, b) => b - a));

    const walked: string[] = [];
    for (let after: string | undefined; ; ) {
      const page = await client('gamma').files.list({ limit: 1, ...(after ? { after } : {}) });
      walked.push(...page.data.map((f) => f.id));
      if (!page.has_more) break;
      after = page.data.at(-1)!.id;
    }
    expect(walked).toEqual(all.map((f) => f.id));
    const auto: string[] = [];
    for await (const f of client('gamma').files.list({ limit: 2 })) auto.push(f.id); // the SDK's own paginator
    expect(auto).toEqual(walked);

    const asc = await client('gamma').files.list({ order: 'asc', limit: 2, after: all.at(-1)!.id });
    expect(asc.data.map((f) => f.id)).toEqual(all.slice(0, 2).reverse().map((f) => f.id));
    expect(asc.has_more).toBe(false);
    const raw = await (await fetch(`${mesh.url}/v1/files?limit=2`, { headers: auth('gamma') })).json();
    expect(raw).toEqual({ object: 'list', data: all.slice(0, 2), first_id: all[0].id, last_id: all[1].id, has_more: true });
  });

  it('round-trips a file larger than a NATS message byte for byte', async () => {
    const big = randomBytes(9 * MiB + 123);
    const f = await upload('alpha', big, 'big.bin');
    expect(f.bytes).toBe(big.length);
    const back = Buffer.from(await (await client('alpha').files.content(f.id)).arrayBuffer());
    expect(back.length).toBe(big.length);
    expect(back.equals(big)).toBe(true);
    await client('alpha').files.delete(f.id);
  });
});

describe('tenants', () => {
  it("keeps a tenant's files from every other tenant", async () => {
    const f = await upload('alpha', jsonl);
    for (const call of [client('beta').files.retrieve(f.id), client('beta').files.content(f.id), client('beta').files.delete(f.id)]) {
      await expect(call).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    }
    const res = await fetch(`${mesh.url}/v1/files/${f.id}`, { headers: auth('beta') });
    expect((await expectRefused(res, 404, 'id')).message).toBe(`No such File object: ${f.id}`);
    expect(await listIds('beta')).not.toContain(f.id);
    expect(await client('alpha').files.retrieve(f.id)).toMatchObject({ id: f.id }); // B's delete did nothing
    expect((await fetch(`${mesh.url}/v1/files`)).status).toBe(401);
  });
});

describe('bad input: a 4xx, never a 5xx, and nothing stored', () => {
  let before: { ids: string[]; store: { objects: number; chunks: number } };
  beforeAll(async () => {
    await upload('alpha', jsonl, 'kept.jsonl');
    before = { ids: await listIds('alpha'), store: await stored() };
  });
  afterEach(async () => {
    expect(await listIds('alpha')).toEqual(before.ids);
    expect(await stored()).toEqual(before.store);
  });

  const file = () => new Blob([jsonl]);

  it('refuses a purpose other than batch, sent after the file (the SDK) or before it', async () => {
    await expectSdkRefused(upload('alpha', jsonl, 'input.jsonl', 'fine-tune'), 400, 'purpose');
    await expectRefused(await postForm([['purpose', 'assistants'], ['file', file(), 'a.jsonl']]), 400, 'purpose');
    await expectRefused(await postForm([['file', file(), 'a.jsonl'], ['purpose', 'batch'], ['purpose', 'batch']]), 400, 'purpose');
  });

  it('refuses a form without purpose, without a file, or with the file as text or twice', async () => {
    await expectRefused(await postForm([['file', file(), 'a.jsonl']]), 400, 'purpose');
    await expectRefused(await postForm([['purpose', 'batch']]), 400, 'file');
    await expectRefused(await postForm([['purpose', 'batch'], ['file', jsonl]]), 400, 'file');
    await expectRefused(await postForm([['purpose', 'batch'], ['upload', file(), 'a.jsonl']]), 400, 'upload');
    await expectRefused(await postForm([['purpose', 'batch'], ['file', file(), 'a.jsonl'], ['file', file(), 'b.jsonl']]), 400, 'file');
  });

  it('refuses an empty file, and expires_after (files live as long as requests)', async () => {
    await expectRefused(await postForm([['purpose', 'batch'], ['file', new Blob([]), 'empty.jsonl']]), 400, 'file');
    await expectSdkRefused(client('alpha').files.create({ file: await toFile(Buffer.from(jsonl), 'a.jsonl'), purpose: 'batch', expires_after: { anchor: 'created_at', seconds: 3600 } }), 400, 'expires_after');
  });

  it('refuses a body that is not multipart: JSON, text, none, a broken form', async () => {
    await expectRefused(await post(`${mesh.url}/v1/files`, { file: jsonl, purpose: 'batch' }, auth('alpha')), 400, 'file');
    await expectRefused(await fetch(`${mesh.url}/v1/files`, { method: 'POST', headers: { ...auth('alpha'), 'content-type': 'text/plain' }, body: jsonl }), 400, 'file');
    await expectRefused(await fetch(`${mesh.url}/v1/files`, { method: 'POST', headers: auth('alpha') }), 400, 'file');
    const broken = '--xyz\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--xyz\r\ncontent-disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n{"cut":';
    await expectRefused(await fetch(`${mesh.url}/v1/files`, { method: 'POST', headers: { ...auth('alpha'), 'content-type': 'multipart/form-data; boundary=xyz' }, body: broken }), 400, null);
    await expectRefused(await fetch(`${mesh.url}/v1/files`, { method: 'POST', headers: { ...auth('alpha'), 'content-type': 'multipart/form-data' }, body: broken }), 400, null);
  });

  it('refuses a form whose part headers never end (a bare CR in a file name, then a long body): the parser stops reading, the caller still gets an answer', async () => {
    // Found by the fuzz (seed 1557019337): busboy waits for ever on such a part, and the request went unanswered.
    const stuck = `--xyz\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--xyz\r\ncontent-disposition: form-data; name="file"; filename="a\rb"\r\n\r\n${'x'.repeat(100_000)}\r\n--xyz--\r\n`;
    const res = await fetch(`${mesh.url}/v1/files`, { method: 'POST', headers: { ...auth('alpha'), 'content-type': 'multipart/form-data; boundary=xyz' }, body: stuck, signal: AbortSignal.timeout(15_000) });
    await expectRefused(res, 400, null);
  });

  it('refuses a file over files.max_bytes with a 413, read as it streams or by its declared length', async () => {
    await expectSdkRefused(upload('alpha', Buffer.alloc(MAX_BYTES + 1, 'x'), 'over.jsonl'), 413, 'file');
    const res = await postForm([['purpose', 'batch'], ['file', new Blob([Buffer.alloc(MAX_BYTES + MiB, 'x')]), 'over.jsonl']]);
    expect((await expectRefused(res, 413, 'file')).message).toMatch(/files\.max_bytes: 10485760 bytes/);
  });

  it('keeps nothing of an upload its client abandons halfway', async () => {
    const abandon = new AbortController();
    const head = '--b\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--b\r\ncontent-disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n';
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(Buffer.from(head));
        c.enqueue(Buffer.alloc(MiB, 'y')); // and never the end of the form
        setTimeout(() => abandon.abort(), 300);
      },
    });
    const sent = fetch(`${mesh.url}/v1/files`, {
      method: 'POST', headers: { ...auth('alpha'), 'content-type': 'multipart/form-data; boundary=b' }, body, duplex: 'half', signal: abandon.signal,
    } as RequestInit);
    await expect(sent).rejects.toThrow();
    await until('the partial upload is gone', async () => JSON.stringify(await stored()) === JSON.stringify(before.store), 5_000);
  });

  it('answers a malformed or unknown id with a 404', async () => {
    for (const id of ['nope', 'file-000000000000000000000000', '..%2Fetc']) {
      for (const [method, path] of [['GET', ''], ['GET', '/content'], ['DELETE', '']]) {
        const res = await fetch(`${mesh.url}/v1/files/${id}${path}`, { method, headers: auth('alpha') });
        expect((await expectRefused(res, 404, 'id')).message).toBe(`No such File object: ${decodeURIComponent(id)}`);
      }
    }
  });

  it('refuses a list query it cannot mean, naming the parameter', async () => {
    for (const [query, param] of [['limit=0', 'limit'], ['limit=10001', 'limit'], ['limit=ten', 'limit'], ['order=up', 'order'],
      ['purpose=nope', 'purpose'], ['purpose=batch&purpose=batch_output', 'purpose'], ['after=', 'after'], ['after=file-000000000000000000000000', 'after']]) {
      await expectRefused(await fetch(`${mesh.url}/v1/files?${query}`, { headers: auth('alpha') }), 400, param);
    }
    expect((await client('alpha').files.list({ limit: 10_000 })).data.map((f) => f.id)).toEqual(before.ids);
  });
});

describe('JSON routes are as they were', () => {
  it('refuses multipart on a JSON route (415) and a JSON body over http.ingress.body_limit (413)', async () => {
    const form = new FormData();
    form.append('model', 'mock-1');
    const multipart = await fetch(`${mesh.url}/v1/chat/completions`, { method: 'POST', headers: auth('alpha'), body: form });
    expect(multipart.status).toBe(415);
    const huge = await post(`${mesh.url}/v1/chat/completions`, { model: 'mock-1', messages: [{ role: 'user', content: 'x'.repeat(5 * MiB) }] }, auth('alpha'));
    expect(huge.status).toBe(413);
  });
});

import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';

/**
 * How many request records the mesh's KV holds right now (read straight from NATS, not through ReqRun).
 * Not `kv.keys()`: its listing can miss a key updated while it runs (the update moves the key's only message past the
 * listing's end), so a request still finishing made the count flaky under load. The stream's subject list is one
 * snapshot; keys whose last entry is a delete marker are not counted.
 */
export async function countRecords(natsUrl: string, bucket = 'rr-requests'): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  try {
    const kv = await new Kvm(nc).open(bucket);
    const info = await (await jetstreamManager(nc)).streams.info(`KV_${bucket}`, { subjects_filter: '>' });
    let n = 0;
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      if ((await kv.get(subject.slice(`$KV.${bucket}.`.length)))?.operation === 'PUT') n++;
    }
    return n;
  } finally {
    await nc.close();
  }
}

/** Every stored value of a bucket, raw (to scan what ReqRun keeps, e.g. for secrets). */
export async function rawValues(natsUrl: string, bucket = 'rr-requests'): Promise<string[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const kv = await new Kvm(nc).open(bucket);
    const out: string[] = [];
    for await (const k of await kv.keys()) {
      const e = await kv.get(k);
      if (e?.operation === 'PUT') out.push(e.string());
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** The stored record itself (read straight from NATS): what ingress stored, body included. */
export async function readRecord(natsUrl: string, id: string, bucket = 'rr-requests'): Promise<any> {
  const nc = await connect({ servers: natsUrl });
  try {
    return (await (await new Kvm(nc).open(bucket)).get(id))?.json();
  } finally {
    await nc.close();
  }
}

/** Polls GET /v1/requests/{id} until `done` says so, or throws after `timeoutMs`. */
export async function pollRequest(baseUrl: string, id: string, done: (r: any) => boolean, timeoutMs = 15_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await (await get(`${baseUrl}/v1/requests/${id}`)).json();
    if (done(r)) return r;
    if (Date.now() > until) throw new Error(`request ${id} still ${r.status} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** A fetch Response whose json() is untyped, as test assertions want it. */
export type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export const post = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

export const get = (url: string, headers: Record<string, string> = {}): Promise<JsonResponse> => fetch(url, { headers });

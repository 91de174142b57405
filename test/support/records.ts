import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';

/** How many request records the mesh's KV holds right now (read straight from NATS, not through ReqRun). */
export async function countRecords(natsUrl: string, bucket = 'rr-requests'): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  try {
    const kv = await new Kvm(nc).open(bucket);
    let n = 0;
    for await (const _ of await kv.keys()) n++;
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

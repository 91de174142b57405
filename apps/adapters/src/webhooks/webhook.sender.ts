import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress } from './private-address.js';

export interface SendResult {
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** Its `retry-after` (seconds or an HTTP date), in ms. */
  retryAfterMs?: number;
  /** Why no status: network, timeout, or refused. */
  error?: string;
  /** The URL resolved to an address webhooks may not reach: not retried. */
  refused?: boolean;
}

class Refused extends Error {}

/**
 * POSTs one webhook. The address checked is the one connected to: a literal IP in the URL, else every address the
 * name resolves to, checked inside the socket's own lookup (so a name cannot resolve to a public address for the
 * check and a private one for the connection). Redirects are not followed.
 */
export function sendWebhook(url: string, body: string, headers: Record<string, string>, o: { timeoutMs: number; allowPrivate: boolean }): Promise<SendResult> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!o.allowPrivate && isIP(host) && isPrivateAddress(host)) return Promise.resolve(refused(host));
  const lookup: LookupFunction = (hostname, options, cb) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return (cb as (e: Error) => void)(err);
      const bad = o.allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (bad) return (cb as (e: Error) => void)(new Refused(bad.address));
      if (options.all) (cb as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else cb(null, addresses[0].address, addresses[0].family);
    });
  };
  return new Promise((resolve) => {
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
      method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup, timeout: o.timeoutMs,
    }, (res: IncomingMessage) => {
      res.resume(); // the body is not read: only the status and retry-after count
      res.on('end', () => undefined);
      resolve({ status: res.statusCode, ...retryAfter(res.headers['retry-after']) });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', (e) => resolve(e instanceof Refused ? refused(e.message) : { error: e.message }));
    req.end(body);
  });
}

const refused = (address: string): SendResult => ({
  refused: true, error: `refused: ${address} is a private, loopback or link-local address (set webhooks.allow_private to allow it)`,
});

function retryAfter(v: string | undefined): { retryAfterMs?: number } {
  if (!v) return {};
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return { retryAfterMs: Math.round(s * 1000) };
  const at = Date.parse(v);
  return Number.isNaN(at) ? {} : { retryAfterMs: Math.max(0, at - Date.now()) };
}

import { Inject, Injectable } from '@nestjs/common';
import type { Msg } from '@nats-io/nats-core';
import { randomBytes } from 'node:crypto';
import { isTerminal, type RequestRecord } from '@reqrun/contracts';
import { Nats } from '@reqrun/runtime';
import { RequestStore } from '@reqrun/store';

export interface Watch {
  /** The record once terminal, or the latest stored state when `timeoutMs` passes or `signal` aborts first. */
  until(current: RequestRecord, timeoutMs: number, signal?: AbortSignal): Promise<RequestRecord>;
  close(): void;
}

/** For a caller that does not wait (`wait: false`, streaming): no subscription, the record as it is. */
export const NO_WAIT: Watch = { until: async (current) => current, close: () => undefined };

/**
 * Waits for a request's wake-up. A request this ingress stores to wait for it carries its `name` in the record's
 * `waiter`, so its wake-up comes on `rr.done.<name>.<id>`, which one subscription (made when this ingress starts)
 * receives for all of them: a waiter is an entry in a map, not a SUB and an UNSUB on the wire per request. A request
 * someone else may have stored (a re-attach by idempotency key) is watched on `rr.done.*.<id>`.
 * Watch before the step that could finish the request — the publish of its submission, or the read of its record —
 * so a wake-up can never fall between the two: the subscription and that step travel in order on the same connection.
 */
@Injectable()
export class Waiter {
  /** This ingress instance, as named in the records it waits for; a NATS subject token. */
  readonly name = randomBytes(6).toString('hex');
  private readonly waiting = new Map<string, (r: RequestRecord) => void>();
  /** Every open watch, own or not: re-read after a reconnect, since a wake-up published meanwhile never arrives. */
  private readonly open = new Set<{ tenant: string; id: string; wake: (r: RequestRecord) => void }>();

  constructor(@Inject(Nats) private readonly nats: Nats, private readonly store: RequestStore) {
    const n = nats.names;
    const wake = (err: Error | null, msg: Msg) => {
      if (err) return;
      const w = this.waiting.get(msg.subject.slice(msg.subject.lastIndexOf('.') + 1));
      if (w) w(msg.json<RequestRecord>());
    };
    // Kept until the connection drains at shutdown, after the HTTP server and the NATS API have answered the
    // requests in hand (some of which wait).
    nats.nc.subscribe(n.doneFor(this.name), { callback: wake });
    // What adapters and schedulers from before `rr.done.<waiter>.<id>` publish, while a rolling upgrade (ingress
    // first) has them still running; nothing is published there otherwise.
    nats.nc.subscribe(n.legacyDoneAll(), { callback: wake });
    nats.onReconnect(() => this.recheck());
  }

  /** Wakes the watches whose request finished while this process was away from NATS. */
  private recheck(): void {
    for (const w of this.open) {
      this.store.get(w.tenant, w.id).then((r) => r && isTerminal(r.status) && w.wake(r), () => undefined); // not readable: the wait times out as usual
    }
  }

  /**
   * `own`: the request is new and will be stored with `waiter: this.name` (so its wake-up comes to this ingress);
   * false when it may have been stored by another (then its wake-up is subscribed to by itself).
   */
  watch(tenant: string, id: string, own = true): Watch {
    let wake!: (r: RequestRecord) => void;
    const done = new Promise<RequestRecord>((r) => (wake = r));
    const entry = { tenant, id, wake };
    this.open.add(entry);
    let close: () => void;
    if (own && !this.waiting.has(id)) {
      this.waiting.set(id, wake);
      close = () => void this.waiting.delete(id);
    } else {
      const sub = this.nats.nc.subscribe(this.nats.names.doneAny(id), {
        max: 1,
        callback: (err, msg) => {
          if (!err) wake(msg.json<RequestRecord>());
        },
      });
      close = () => sub.unsubscribe();
    }
    return {
      until: async (current, timeoutMs, signal) => {
        if (isTerminal(current.status) || timeoutMs <= 0 || signal?.aborted) return current; // (the caller left while it was stored)
        let timer: NodeJS.Timeout | undefined;
        const stop = new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), timeoutMs);
          signal?.addEventListener('abort', () => resolve(null), { once: true });
        });
        const final = await Promise.race([done, stop]);
        clearTimeout(timer);
        return final ?? (await this.store.get(tenant, id)) ?? current;
      },
      close: () => {
        this.open.delete(entry);
        close();
      },
    };
  }
}

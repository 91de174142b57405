import { Inject, Injectable } from '@nestjs/common';
import { isTerminal, type RequestRecord } from '@reqrun/contracts';
import { Nats } from '@reqrun/runtime';
import { RequestStore } from '@reqrun/store';

export interface Watch {
  /** The record once terminal, or the latest stored state when `timeoutMs` passes or `signal` aborts first. */
  until(current: RequestRecord, timeoutMs: number, signal?: AbortSignal): Promise<RequestRecord>;
  close(): void;
}

/**
 * Waits for `rr.done.<id>`. Subscribe (`watch`) before the step that could finish the request — the publish of its
 * submission, or the read of its record — so a wake-up can never fall between the two: the subscription and that
 * step travel in order on the same connection.
 */
@Injectable()
export class Waiter {
  constructor(@Inject(Nats) private readonly nats: Nats, private readonly store: RequestStore) {}

  watch(tenant: string, id: string): Watch {
    let wake!: (r: RequestRecord) => void;
    const done = new Promise<RequestRecord>((r) => (wake = r));
    const sub = this.nats.nc.subscribe(this.nats.names.done(id), {
      max: 1,
      callback: (err, msg) => {
        if (!err) wake(msg.json<RequestRecord>());
      },
    });
    return {
      until: async (current, timeoutMs, signal) => {
        if (isTerminal(current.status) || timeoutMs <= 0) return current;
        let timer: NodeJS.Timeout | undefined;
        const stop = new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), timeoutMs);
          signal?.addEventListener('abort', () => resolve(null), { once: true });
        });
        const final = await Promise.race([done, stop]);
        clearTimeout(timer);
        return final ?? (await this.store.get(tenant, id)) ?? current;
      },
      close: () => sub.unsubscribe(),
    };
  }
}

import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';

interface Unacked {
  subject: string;
  data: string;
  msgID: string;
  firstSentAt: number;
  sentAt: number;
}

export interface BackgroundPersistOptions {
  /** Sent again when no ack came back this long after the last send. */
  resendAfterMs?: number;
  /** Given up on (`onLost`) this long after the first send; at most the stream's duplicate window, so a resend is never stored twice. */
  giveUpAfterMs?: number;
}

/**
 * A durable publish whose caller does not wait for the ack. A JetStream publish awaited one by one costs each a
 * request (an inbox registration, a timer, a promise): on the accept path that was ~30 % of the ingress's CPU for
 * one more write. Here every message is a plain publish whose reply subject is this process's one ack inbox; acks
 * are matched by token, and a message with no good ack is sent again (same msgID: the stream keeps one) until
 * `giveUpAfterMs`, then reported to `onLost`.
 */
export class BackgroundPersister {
  private readonly inbox = createInbox();
  private readonly unacked = new Map<string, Unacked>();
  private readonly sub: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;
  private readonly resendAfterMs: number;
  private readonly giveUpAfterMs: number;

  constructor(private readonly nc: NatsConnection, private readonly onLost: (subject: string, why: string) => void, o: BackgroundPersistOptions = {}) {
    this.resendAfterMs = o.resendAfterMs ?? 2_000;
    this.giveUpAfterMs = o.giveUpAfterMs ?? 60_000;
    this.sub = nc.subscribe(`${this.inbox}.*`, { callback: (err, m) => { if (!err) this.acked(m); } });
    this.sweeper = setInterval(() => this.sweep(), Math.max(100, this.resendAfterMs / 2));
    this.sweeper.unref();
  }

  /** Messages sent and not acknowledged yet. */
  get pending(): number {
    return this.unacked.size;
  }

  persist(subject: string, item: unknown, msgID: string): void {
    const token = (this.next++).toString(36);
    const now = Date.now();
    const u: Unacked = { subject, data: JSON.stringify(item), msgID, firstSentAt: now, sentAt: now };
    this.unacked.set(token, u);
    this.send(token, u);
  }

  /** Waits (at most `ms`) for every message sent so far to be acknowledged or given up, then stops. */
  async close(ms = 5_000): Promise<void> {
    const until = Date.now() + ms;
    while (this.unacked.size > 0 && Date.now() < until && !this.nc.isClosed()) await new Promise((r) => setTimeout(r, 20));
    clearInterval(this.sweeper);
    for (const u of this.unacked.values()) this.onLost(u.subject, 'not acknowledged before shutdown');
    this.unacked.clear();
    if (!this.nc.isClosed()) this.sub.unsubscribe();
  }

  private send(token: string, u: Unacked): void {
    if (this.nc.isClosed()) return;
    const h = headers();
    h.set('Nats-Msg-Id', u.msgID);
    try {
      this.nc.publish(u.subject, u.data, { reply: `${this.inbox}.${token}`, headers: h });
    } catch {
      // disconnected and the reconnect buffer full: the sweep sends it again
    }
  }

  private acked(m: Msg): void {
    const token = m.subject.slice(this.inbox.length + 1);
    const u = this.unacked.get(token);
    if (!u) return;
    let error: string | undefined;
    try {
      error = m.json<{ error?: { description?: string } }>()?.error?.description;
    } catch {
      error = 'unreadable ack';
    }
    // No stream took it (a status message, e.g. no responders), or one refused it: the sweep sends it again.
    if (m.headers?.hasError || error) return;
    this.unacked.delete(token);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, u] of this.unacked) {
      if (now - u.firstSentAt >= this.giveUpAfterMs) {
        this.unacked.delete(token);
        this.onLost(u.subject, `not stored after ${Math.round((now - u.firstSentAt) / 1000)} s`);
      } else if (now - u.sentAt >= this.resendAfterMs) {
        u.sentAt = now;
        this.send(token, u);
      }
    }
  }
}

import type { NatsConnection } from '@nats-io/nats-core';
import type { Config } from '@reqrun/config';
import { maxRecordWrites, names, type Names } from '@reqrun/contracts';
import { Bus, connectNats, ensureLayout, managerOf, type Buckets } from '@reqrun/messaging';
import type { Logger } from 'pino';

/** One NATS connection per process, with the names, buckets and publisher built on it. */
export class Nats {
  private up = true;
  private readonly reconnected = new Set<() => void>();

  private constructor(readonly nc: NatsConnection, readonly bus: Bus, readonly names: Names, readonly buckets: Buckets) {}

  static async open(config: Config, app: string, log: Logger): Promise<Nats> {
    const { url, user, password_env, token_env, nkey_seed_env, creds_file, tls } = config.nats;
    const nc = await connectNats({ url, name: `reqrun-${app}`, user, password_env, token_env, nkey_seed_env, creds_file, tls });
    const n = names(config.nats.prefix);
    const layout = { replicas: config.nats.replicas, idempotencyTtlMs: config.idempotency.ttl_s * 1000, eventsMaxAgeMs: 7 * 86_400_000, chunksMaxAgeMs: 86_400_000, requestsHistory: maxRecordWrites(config.retry.max_attempts), requestsTtlMs: config.requests.ttl_s * 1000 };
    // A cluster that is still electing its JetStream leader refuses for a while: keep trying for a minute.
    let buckets: Buckets | undefined;
    for (let attempt = 1; !buckets; attempt++) {
      try {
        buckets = await ensureLayout(nc, n, layout);
      } catch (e) {
        if (attempt >= 60) throw e;
        log.warn({ err: e, attempt }, 'JetStream not ready for streams and buckets yet; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const self = new Nats(nc, new Bus(nc), n, buckets);
    void self.watch(log);
    log.info({ server: nc.getServer(), max_payload: nc.info?.max_payload }, 'connected to NATS');
    return self;
  }

  /** The streams and buckets (KV buckets are streams `KV_<bucket>`) that are not on the server right now. */
  async missingLayout(): Promise<string[]> {
    const jsm = await managerOf(this.nc);
    const n = this.names;
    const wanted = [
      n.submitStream, n.dispatchStream, n.eventsStream, n.chunksStream, n.indexStream, n.batchStream,
      ...[n.requestsBucket, n.idempotencyBucket, n.breakersBucket, n.limitsBucket, n.webhooksBucket, n.batchesBucket].map((b) => `KV_${b}`),
      `OBJ_${n.filesBucket}`,
    ];
    const present = await Promise.all(wanted.map((s) => jsm.streams.info(s).then(() => true, () => false)));
    return wanted.filter((_, i) => !present[i]);
  }

  /** Calls `f` after each reconnect: core NATS messages published while this process was away (wake-ups) are lost. */
  onReconnect(f: () => void): void {
    this.reconnected.add(f);
  }

  /** Connected right now (false while reconnecting). */
  get connected(): boolean {
    return this.up && !this.nc.isClosed();
  }

  private async watch(log: Logger): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') { this.up = false; log.warn('NATS disconnected; reconnecting'); }
      if (s.type === 'reconnect') {
        this.up = true;
        log.info('NATS reconnected');
        for (const f of this.reconnected) f();
      }
    }
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}

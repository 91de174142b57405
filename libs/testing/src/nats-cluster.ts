import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from './free-port.js';
import { startNats, type NatsServer, type NatsServerOptions } from './nats-server.js';
import { waitUntil } from './wait-ready.js';

export interface NatsCluster extends AsyncDisposable {
  /** Every node's client URL, comma-separated (what NATS_URL takes). */
  readonly url: string;
  readonly nodes: NatsServer[];
  /** Stop every node. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Spawns `size` nats-server processes on 127.0.0.1 routed into one cluster, and resolves once JetStream has a
 * meta leader (streams at R3 can be created).
 */
export async function startNatsCluster(o: { size?: number } & Partial<Pick<NatsServerOptions, 'maxPayload'>> = {}): Promise<NatsCluster> {
  const size = o.size ?? 3;
  const ports = await Promise.all(Array.from({ length: size }, async () => ({ client: await freePort(), route: await freePort() })));
  const name = `reqrun-${ports[0].client}`;
  const started = await Promise.allSettled(
    ports.map((p, i) =>
      startNats({
        ...(o.maxPayload ? { maxPayload: o.maxPayload } : {}),
        port: p.client,
        cluster: { name, serverName: `n${i + 1}`, port: p.route, routes: ports.filter((q) => q !== p).map((q) => q.route) },
      }),
    ),
  );
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= Promise.allSettled(nodes.map((n) => n.stop())).then(() => undefined));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const url = nodes.map((n) => n.url).join(',');
  try {
    await jetstreamReady(url);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, nodes, stop, [Symbol.asyncDispose]: stop };
}

/** JetStream answers account info only once the cluster has elected its meta leader. */
export async function jetstreamReady(url: string, timeoutMs = 20_000): Promise<void> {
  const nc = await connect({ servers: url.split(',') });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 1000, checkAPI: false });
    await waitUntil(() => jsm.getAccountInfo().then(() => true, () => false), { timeoutMs, intervalMs: 200, what: 'JetStream meta leader' });
  } finally {
    await nc.close();
  }
}

import { ProtocolHandler, RequestOne } from '@nats-io/nats-core/internal';

/**
 * nats.js writes its outbound buffer to the socket from a microtask queued by the first command after a flush, so
 * under load almost every message is its own `write` syscall (12–16 % of each app's CPU in `npm run bench`, and as
 * many reads for nats-server). Flushed from `setImmediate` instead, everything the process publishes while it
 * handles one batch of socket input goes out in one write; the cost is one event-loop turn, microseconds when idle.
 * The buffer's own size limit still flushes inline. Applied once, to nats-core's protocol handler, which every
 * connection of the process uses; it replaces exactly the method below (nats-core 3.x) and nothing if that changes.
 */
interface Protocol {
  outbound: { length(): number; size(): number; fill(b: Uint8Array, ...p: Uint8Array[]): void };
  pendingLimit: number;
  flushPending(): void;
  sendCommand(cmd: string | Uint8Array, ...payloads: Uint8Array[]): void;
  close(err?: Error): Promise<void>;
}

const te = new TextEncoder();
let applied: boolean | undefined;

export function coalesceWrites(): boolean {
  if (applied !== undefined) return applied;
  const proto = ProtocolHandler.prototype as unknown as Protocol & { [k: symbol]: true };
  const source = String(proto.sendCommand);
  // The method as nats-core 3.x has it: the flush from a microtask when the buffer was empty.
  applied = /queueMicrotask\(\(\) => \{\s*this\.flushPending\(\);\s*\}\)/.test(source) && /this\.outbound\.size\(\) >= this\.pendingLimit/.test(source);
  if (!applied) return false;
  proto.sendCommand = function sendCommand(this: Protocol, cmd: string | Uint8Array, ...payloads: Uint8Array[]): void {
    const empty = this.outbound.length() === 0;
    this.outbound.fill(typeof cmd === 'string' ? te.encode(cmd) : cmd, ...payloads);
    if (empty) setImmediate(() => this.flushPending());
    else if (this.outbound.size() >= this.pendingLimit) this.flushPending();
  };
  // What was published just before a close must still go out (the microtask flush used to run before it).
  const close = proto.close;
  proto.close = function (this: Protocol, err?: Error) {
    this.flushPending();
    return close.call(this, err);
  };
  return true;
}

interface RequestOneLike {
  resolver(err: Error | null, msg: unknown): void;
  cancel(err?: Error): void;
  [SETTLED]?: true;
}
const SETTLED = Symbol('reqrun.settled');

/**
 * nats-core's `RequestOne.resolver` calls `cancel()` after it resolved the request, and `cancel` builds a
 * `RequestError` (stack included) only to reject the promise that is already resolved: an Error per KV operation
 * and per JetStream publish ack (2–4 % of each app's CPU). Once resolved, `cancel` only unregisters the request.
 */
export function skipCancelAfterResolve(): boolean {
  const proto = RequestOne.prototype as unknown as RequestOneLike;
  const resolver = proto.resolver;
  const cancel = proto.cancel;
  if (!/this\.cancel\(\);\s*\}\s*$/.test(String(resolver)) || !/new errors_1\.RequestError\("cancelled"\)/.test(String(cancel))) return false;
  proto.resolver = function (this: RequestOneLike, err, msg) {
    this[SETTLED] = true;
    resolver.call(this, err, msg);
  };
  proto.cancel = function (this: RequestOneLike & { timer?: { cancel(): void }; mux: { cancel(r: unknown): void } }, err) {
    if (!this[SETTLED]) return cancel.call(this, err);
    this.timer?.cancel();
    this.mux.cancel(this);
  };
  return true;
}

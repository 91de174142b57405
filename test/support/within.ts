/** Rejects if `p` has not settled within `ms`: a stream that hangs fails the test with its name. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms (a hang, not an error)`)), ms)));
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Asks `probe` every `everyMs` until it answers something truthy (returned), or fails after `timeoutMs` naming `what`.
 */
export async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 20): Promise<NonNullable<T>> {
  for (const end = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, everyMs))) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

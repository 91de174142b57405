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

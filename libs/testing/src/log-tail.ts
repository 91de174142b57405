/** The last `max` lines written by a process (stdout and stderr interleaved, as they arrive). */
export class LogTail {
  private readonly lines: string[] = [];

  constructor(readonly max = 200) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  /** The kept lines joined with '\n'; the last `n` only when given. */
  text(n?: number): string {
    return (n === undefined ? this.lines : this.lines.slice(-n)).join('\n');
  }
}

/** Splits a byte stream into lines, holding a partial last line until it completes (or `flush`). */
export function lineSplitter(onLine: (line: string) => void): { write(chunk: Buffer | string): void; flush(): void } {
  let rest = '';
  return {
    write(chunk) {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) onLine(p.endsWith('\r') ? p.slice(0, -1) : p);
    },
    flush() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

/** One line of a JSONL file that is not blank: its 1-based line number in the file (blank lines counted) and its text. */
export interface RawLine {
  line: number;
  text: string;
}

/**
 * Splits text into lines as it arrives, at `\n` (a `\r` before it is dropped), leaving out the blank ones (only
 * whitespace) but counting them. The last line needs no newline. The one way every step reads a batch's input.
 */
export class LineSplitter {
  private rest = '';
  private line = 0;

  /** The lines `text` completes; the unfinished last one waits for the next text (or `end`). */
  push(text: string): RawLine[] {
    const out: RawLine[] = [];
    let nl = text.indexOf('\n');
    if (nl < 0) {
      this.rest += text;
      return out;
    }
    this.take(this.rest + text.slice(0, nl), out);
    let from = nl + 1;
    while ((nl = text.indexOf('\n', from)) >= 0) {
      this.take(text.slice(from, nl), out);
      from = nl + 1;
    }
    this.rest = text.slice(from);
    return out;
  }

  /** The last line, when the text did not end with a newline. */
  end(): RawLine[] {
    const out: RawLine[] = [];
    this.take(this.rest, out);
    this.rest = '';
    return out;
  }

  private take(raw: string, out: RawLine[]) {
    this.line++;
    if (raw.trim() !== '') out.push({ line: this.line, text: raw.endsWith('\r') ? raw.slice(0, -1) : raw });
  }
}

/**
 * The lines of a UTF-8 stream as they arrive (a character split between two chunks is decoded whole): at most one
 * chunk of the stream and its lines are held. Stopping early (`break`, `return`) cancels the stream.
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<RawLine, void, undefined> {
  const decoder = new TextDecoder();
  const split = new LineSplitter();
  const reader = stream.getReader();
  let done = false;
  try {
    while (!done) {
      const r = await reader.read();
      done = r.done;
      yield* split.push(done ? decoder.decode() : decoder.decode(r.value, { stream: true }));
    }
    yield* split.end();
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

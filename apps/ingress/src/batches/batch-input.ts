import type { BatchError } from '@reqrun/store';
import { MESSAGES_ENDPOINT } from './batch-endpoints.js';
import type { RawLine } from './batch.line-reader.js';

/** One request of a batch's input file. */
export interface BatchLine {
  /** 1-based line of the file (blank lines are skipped but counted). */
  line: number;
  custom_id: string;
  body: Record<string, unknown>;
}

/** A checked file: its number of requests, or its errors. */
export type CheckedInput = { ok: true; total: number } | { ok: false; errors: BatchError[] };

/** OpenAI's limit on requests per batch. */
export const MAX_BATCH_LINES = 50_000;
/** Anthropic's limit on requests per Message Batch. */
export const MAX_MESSAGE_BATCH_REQUESTS = 100_000;
const maxLines = (endpoint: string) => (endpoint === MESSAGES_ENDPOINT ? MAX_MESSAGE_BATCH_REQUESTS : MAX_BATCH_LINES);
/** A broken file reports this many of its errors at most. */
const MAX_ERRORS = 100;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a batch input file (JSONL) line by line as it is read: every line a JSON object with a unique non-empty
 * string `custom_id`, `method: "POST"`, `url` equal to the batch's endpoint and an object `body`. Any error fails the
 * whole file, as OpenAI does; the errors name their line. Holds the lines' custom ids (to find a repeated one) and
 * the first MAX_ERRORS errors, not the lines.
 */
export class InputCheck {
  readonly errors: BatchError[] = [];
  /** The lines read before the first error (all of them, when there is none). */
  count = 0;
  private readonly seen = new Set<string>();

  constructor(private readonly endpoint: string) {}

  /** Checks the next line: the request it holds, or null once the file has an error. */
  add({ line, text }: RawLine): BatchLine | null {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      this.fail('invalid_json_line', `Line ${line} is not valid JSON.`, line);
      return null;
    }
    if (!isObject(v)) {
      this.fail('invalid_json_line', `Line ${line} is not a JSON object.`, line);
      return null;
    }
    const { custom_id, method, url, body } = v;
    if (typeof custom_id !== 'string' || custom_id === '') this.fail('invalid_custom_id', `Line ${line}: 'custom_id' must be a non-empty string.`, line, 'custom_id');
    else if (this.seen.has(custom_id)) this.fail('duplicate_custom_id', `Line ${line}: the custom_id '${custom_id}' is used by an earlier line; each must be unique.`, line, 'custom_id');
    if (method !== 'POST') this.fail('invalid_method', `Line ${line}: 'method' must be "POST".`, line, 'method');
    if (url !== this.endpoint) this.fail('invalid_url', `Line ${line}: 'url' must be the batch's endpoint, '${this.endpoint}'.`, line, 'url');
    if (!isObject(body)) this.fail('invalid_body', `Line ${line}: 'body' must be a JSON object.`, line, 'body');
    if (typeof custom_id === 'string' && custom_id !== '') this.seen.add(custom_id);
    if (this.errors.length > 0) return null;
    this.count++;
    return { line, custom_id: custom_id as string, body: body as Record<string, unknown> };
  }

  /** Whether nothing more read can change the result: MAX_ERRORS errors are kept (the file fails, and no more are). */
  get full(): boolean {
    return this.errors.length >= MAX_ERRORS;
  }

  /** After the last line: the number of requests, or the file's errors. */
  result(): CheckedInput {
    if (this.errors.length === 0 && this.count === 0) this.fail('empty_file', 'The input file has no requests.', null, 'input_file_id');
    const max = maxLines(this.endpoint);
    if (this.count > max) this.fail('too_many_requests', `The input file has ${this.count} requests; a batch holds at most ${max}.`, null, 'input_file_id');
    return this.errors.length > 0 ? { ok: false, errors: this.errors } : { ok: true, total: this.count };
  }

  private fail(code: string, message: string, line: number | null, param: string | null = null) {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ code, message, param, line });
  }
}

/** Checks a file's lines as they are read (see InputCheck), keeping none of them. */
export async function checkBatchInput(lines: AsyncIterable<RawLine>, endpoint: string): Promise<CheckedInput> {
  const check = new InputCheck(endpoint);
  for await (const l of lines) {
    check.add(l);
    if (check.full) break;
  }
  return check.result();
}

/** A line of a file already checked, as the request it holds. */
export function batchLine({ line, text }: RawLine): BatchLine {
  const { custom_id, body } = JSON.parse(text) as { custom_id: string; body: Record<string, unknown> };
  return { line, custom_id, body };
}

import type { BatchError } from '@reqrun/store';
import { MESSAGES_ENDPOINT } from './batch-endpoints.js';

/** One request of a batch's input file. */
export interface BatchLine {
  /** 1-based line of the file (blank lines are skipped but counted). */
  line: number;
  custom_id: string;
  body: Record<string, unknown>;
}

export type ParsedInput = { ok: true; lines: BatchLine[] } | { ok: false; errors: BatchError[] };

/** OpenAI's limit on requests per batch. */
export const MAX_BATCH_LINES = 50_000;
/** Anthropic's limit on requests per Message Batch. */
export const MAX_MESSAGE_BATCH_REQUESTS = 100_000;
const maxLines = (endpoint: string) => (endpoint === MESSAGES_ENDPOINT ? MAX_MESSAGE_BATCH_REQUESTS : MAX_BATCH_LINES);
/** A broken file reports this many of its errors at most. */
const MAX_ERRORS = 100;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a batch input file (JSONL): every line a JSON object with a unique non-empty string `custom_id`,
 * `method: "POST"`, `url` equal to the batch's endpoint and an object `body`. Any error fails the whole file, as
 * OpenAI does; the errors name their line.
 */
export function parseBatchInput(text: string, endpoint: string): ParsedInput {
  const errors: BatchError[] = [];
  const lines: BatchLine[] = [];
  const seen = new Set<string>();
  const fail = (code: string, message: string, line: number | null, param: string | null = null) => {
    if (errors.length < MAX_ERRORS) errors.push({ code, message, param, line });
  };
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const line = i + 1;
    if (raw[i].trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(raw[i]);
    } catch {
      fail('invalid_json_line', `Line ${line} is not valid JSON.`, line);
      continue;
    }
    if (!isObject(v)) {
      fail('invalid_json_line', `Line ${line} is not a JSON object.`, line);
      continue;
    }
    const { custom_id, method, url, body } = v;
    if (typeof custom_id !== 'string' || custom_id === '') fail('invalid_custom_id', `Line ${line}: 'custom_id' must be a non-empty string.`, line, 'custom_id');
    else if (seen.has(custom_id)) fail('duplicate_custom_id', `Line ${line}: the custom_id '${custom_id}' is used by an earlier line; each must be unique.`, line, 'custom_id');
    if (method !== 'POST') fail('invalid_method', `Line ${line}: 'method' must be "POST".`, line, 'method');
    if (url !== endpoint) fail('invalid_url', `Line ${line}: 'url' must be the batch's endpoint, '${endpoint}'.`, line, 'url');
    if (!isObject(body)) fail('invalid_body', `Line ${line}: 'body' must be a JSON object.`, line, 'body');
    if (typeof custom_id === 'string' && custom_id !== '') seen.add(custom_id);
    if (errors.length === 0) lines.push({ line, custom_id: custom_id as string, body: body as Record<string, unknown> });
  }
  if (errors.length === 0 && lines.length === 0) fail('empty_file', 'The input file has no requests.', null, 'input_file_id');
  const max = maxLines(endpoint);
  if (lines.length > max) fail('too_many_requests', `The input file has ${lines.length} requests; a batch holds at most ${max}.`, null, 'input_file_id');
  return errors.length > 0 ? { ok: false, errors } : { ok: true, lines };
}

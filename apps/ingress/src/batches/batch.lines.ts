import type { RequestRecord } from '@reqrun/contracts';
import type { LineEntry } from '@reqrun/store';

/** What became of one line of a batch once nothing of it runs any more. */
export type LineOutcome =
  /** The create path refused it (its 4xx): it never ran. */
  | { kind: 'refused'; error: NonNullable<LineEntry['error']> }
  /** Its request's record is gone (past `requests.ttl_s`). */
  | { kind: 'gone'; requestId: string }
  /** The batch's cancel or expiry stopped it, or it was never reached. */
  | { kind: 'stopped' }
  /** Its request's final record. */
  | { kind: 'finished'; record: RequestRecord };

/** One line of an ended batch: its place in the input (0-based, blank lines not counted), its `custom_id`, its outcome. */
export interface EndedLine {
  index: number;
  custom_id: string;
  outcome: LineOutcome;
}

const encoder = new TextEncoder();

/** Rows as a JSONL file's bytes. */
export const jsonl = (rows: unknown[]): Uint8Array => encoder.encode(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));

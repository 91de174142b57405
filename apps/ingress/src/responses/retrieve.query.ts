import { badRequest } from '@reqrun/contracts';

/** `GET /v1/responses/{id}`'s query: `stream=true` replays the response's events, `starting_after=N` resumes after event N. */
export interface RetrieveQuery {
  stream: boolean;
  startingAfter?: number;
}

/** Reads the query, refusing values it cannot mean (other parameters, e.g. `include[]`, are left alone). */
export function readRetrieveQuery(q: Record<string, unknown>): RetrieveQuery {
  const { stream, starting_after: after } = q ?? {};
  if (stream !== undefined && stream !== 'true' && stream !== 'false') throw badRequest("'stream' must be true or false.", 'stream');
  if (after !== undefined && (typeof after !== 'string' || !/^\d{1,15}$/.test(after))) {
    throw badRequest("'starting_after' must be an event's sequence_number: a whole number, 0 or more.", 'starting_after');
  }
  return { stream: stream === 'true', ...(after !== undefined ? { startingAfter: Number(after) } : {}) };
}

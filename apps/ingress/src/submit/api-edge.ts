import type { Api, RequestRecord } from '@reqrun/contracts';
import type { ClassConstructor } from 'class-transformer';

/** What differs between the create endpoints of the three APIs; the rest is the one submit path (`CreateHandler`). */
export interface ApiEdge {
  api: Api;
  /** The fields ReqRun reads, checked; every other field passes through. */
  dto: ClassConstructor<object>;
  /** Answer at once when the caller sent no `wait` and no wait preference (Responses: `background: true`). */
  asyncByDefault?(body: Record<string, unknown>): boolean;
  /** The body to store, from the body as sent less ReqRun's extensions (Responses: resolves `previous_response_id`). */
  prepare?(tenant: string, body: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** The API's own object for a completed request (200); by default the stored result, already in the API's shape. */
  finished?(r: RequestRecord): unknown;
  /** The async shape while the request runs (202). */
  pending(r: RequestRecord): unknown;
}

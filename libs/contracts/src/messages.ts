import type { Api, Window } from './request-state.js';

/** Work items point at a record; the record knows the rest. `msgID` = `${id}:${attempt}` makes a re-publish a no-op. */
export interface SubmitItem {
  id: string;
  tenant: string;
  /** The attempt this submission is for (1 for a new request). */
  attempt: number;
  model: string;
  window: Window;
  api: Api;
  /** Epoch ms before which the attempt must not start (retry backoff). */
  not_before?: number;
}

export interface DispatchItem {
  id: string;
  tenant: string;
  attempt: number;
  provider: string;
  provider_model: string;
}

export const msgId = (item: { id: string; attempt: number }): string => `${item.id}:${item.attempt}`;

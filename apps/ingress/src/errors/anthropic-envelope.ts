import type { ReqRunError } from '@reqrun/contracts';
import { anthropicErrorBody } from '@reqrun/translate';

/** Anthropic's error body for a ReqRun error. */
export const anthropicEnvelope = (e: ReqRunError, requestId?: string) => anthropicErrorBody(e, requestId);

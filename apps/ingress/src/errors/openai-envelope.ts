import type { ReqRunError } from '@reqrun/contracts';
import { openAIErrorBody } from '@reqrun/translate';

/** OpenAI's error body for a ReqRun error. */
export const openAIEnvelope = (e: ReqRunError) => openAIErrorBody(e);

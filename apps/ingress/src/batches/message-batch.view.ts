import { FINAL_BATCH_STATUSES, type BatchRecord } from '@reqrun/store';

const rfc3339 = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** Anthropic's three statuses for the engine's eight: `canceling` while a cancel is carried out, `ended` once final. */
function processingStatus(b: BatchRecord): 'in_progress' | 'canceling' | 'ended' {
  if (FINAL_BATCH_STATUSES.has(b.status)) return 'ended';
  return b.status === 'cancelling' ? 'canceling' : 'in_progress';
}

/**
 * The counts by Anthropic's kinds, as Anthropic gives them: every request `processing` until the batch ends, then the
 * results file's (so a client never sees a count that later moves back, as a cancel would make a finished line's).
 */
function requestCounts(b: BatchRecord) {
  if (b.result_counts) return { processing: 0, ...b.result_counts };
  const { total, completed, failed } = b.request_counts;
  if (FINAL_BATCH_STATUSES.has(b.status)) return { processing: 0, succeeded: completed, errored: failed, canceled: 0, expired: 0 };
  return { processing: total, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
}

/** Anthropic's `message_batch` object; `origin` (`http://host:port`, as the caller reached ReqRun) makes `results_url` absolute. */
export function messageBatchView(b: BatchRecord, origin: string) {
  return {
    id: b.id,
    type: 'message_batch' as const,
    processing_status: processingStatus(b),
    request_counts: requestCounts(b),
    ended_at: rfc3339(b.completed_at ?? b.cancelled_at ?? b.expired_at ?? b.failed_at),
    created_at: rfc3339(b.created_at),
    expires_at: rfc3339(b.expires_at),
    archived_at: null,
    cancel_initiated_at: rfc3339(b.cancelling_at),
    results_url: b.output_file_id ? `${origin}/v1/messages/batches/${b.id}/results` : null,
  };
}

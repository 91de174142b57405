import type { BatchRecord } from '@reqrun/store';
import { messageBatchView } from './message-batch.view.js';

const t0 = Date.UTC(2030, 0, 2, 3, 4, 5, 600);
const base: BatchRecord = {
  id: `msgbatch_${'a'.repeat(24)}`, tenant: 't', endpoint: '/v1/messages', input_file_id: `file-${'b'.repeat(24)}`, completion_window: '24h', metadata: null,
  status: 'validating', created_at: t0, expires_at: t0 + 86_400_000, request_counts: { total: 5, completed: 0, failed: 0 }, chunks: 0, settled: [],
};
const origin = 'http://reqrun.test:8080';

describe('messageBatchView', () => {
  it('shows a new batch in progress, every request processing, times in RFC 3339', () => {
    expect(messageBatchView(base, origin)).toEqual({
      id: base.id, type: 'message_batch', processing_status: 'in_progress',
      request_counts: { processing: 5, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: null, created_at: '2030-01-02T03:04:05.600Z', expires_at: '2030-01-03T03:04:05.600Z', archived_at: null, cancel_initiated_at: null, results_url: null,
    });
  });

  it('counts every request processing until the end, as Anthropic does, and is canceling once asked', () => {
    const b: BatchRecord = { ...base, status: 'cancelling', cancelling_at: t0 + 1000, request_counts: { total: 5, completed: 2, failed: 1 } };
    expect(messageBatchView(b, origin)).toMatchObject({
      processing_status: 'canceling', cancel_initiated_at: '2030-01-02T03:04:06.600Z',
      request_counts: { processing: 5, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    });
  });

  it('once ended: the results counts and an absolute results_url', () => {
    const b: BatchRecord = {
      ...base, status: 'cancelled', cancelled_at: t0 + 2000, output_file_id: `file-${'c'.repeat(24)}`,
      result_counts: { succeeded: 1, errored: 1, canceled: 3, expired: 0 },
    };
    expect(messageBatchView(b, origin)).toMatchObject({
      processing_status: 'ended', ended_at: '2030-01-02T03:04:07.600Z', results_url: `${origin}/v1/messages/batches/${base.id}/results`,
      request_counts: { processing: 0, succeeded: 1, errored: 1, canceled: 3, expired: 0 },
    });
  });
});

import type { DeliveryRef } from '@reqrun/contracts';

/**
 * What a delivery says about an attempt that is running, by the record, and not in this process:
 * - `lost`: a later delivery of the message that started it: the process running it stopped heartbeating (died, or
 *   froze past the ack wait), so the attempt counts as lost and is retried;
 * - `older`: an earlier delivery of that message, read only now (this process froze between the delivery and the
 *   start while another one started the attempt): the attempt is alive elsewhere, and this delivery must neither
 *   ack nor nak the message, which the server would apply to the live delivery;
 * - `duplicate`: another message for the same attempt (sent again after the stream's duplicate window): the
 *   message that started it decides, this one is done.
 * An attempt started before deliveries were recorded has no `startedBy`: taken for lost, as before.
 */
export type Verdict = 'lost' | 'older' | 'duplicate';

export function judgeDelivery(startedBy: DeliveryRef | undefined, mine: DeliveryRef): Verdict {
  if (!startedBy) return 'lost';
  if (startedBy.seq !== mine.seq) return 'duplicate';
  return mine.count > startedBy.count ? 'lost' : 'older';
}

import { judgeDelivery } from './delivery.verdict.js';

describe('judgeDelivery: a delivery of an attempt that runs, by the record, in another process', () => {
  it.each([
    [{ seq: 7, count: 1 }, { seq: 7, count: 2 }, 'lost'], // redelivered after the runner's ack timer ran out
    [{ seq: 7, count: 2 }, { seq: 7, count: 5 }, 'lost'],
    [{ seq: 7, count: 2 }, { seq: 7, count: 1 }, 'older'], // this process froze before the start; the runner is alive
    [{ seq: 7, count: 2 }, { seq: 7, count: 2 }, 'older'],
    [{ seq: 7, count: 1 }, { seq: 9, count: 1 }, 'duplicate'], // the same attempt sent again as another message
    [undefined, { seq: 7, count: 1 }, 'lost'], // started before deliveries were recorded
  ] as const)('started by %j, delivered as %j: %s', (startedBy, mine, verdict) => {
    expect(judgeDelivery(startedBy, mine)).toBe(verdict);
  });
});

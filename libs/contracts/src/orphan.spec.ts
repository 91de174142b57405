import { abandonedRecord, whileNoRecord } from './orphan.js';

describe('whileNoRecord: a first attempt whose record is not there', () => {
  const t0 = 1_000_000;
  it.each([
    ['just accepted: look again very soon', 0, { kind: 'wait', ms: 10 }],
    ['a second old: half its age', 1000, { kind: 'wait', ms: 500 }],
    ['long waited: at most 2 s between looks', 30_000, { kind: 'wait', ms: 2000 }],
    ['near the end: not past it', 59_990, { kind: 'wait', ms: 10 }],
    ['at the end: abandoned', 60_000, { kind: 'abandon' }],
  ] as const)('%s', (_name, age, want) => {
    expect(whileNoRecord(t0, t0 + age, 60_000)).toEqual(want);
  });

  it('abandons an item that does not say when it was accepted (its record was written first, so it is gone)', () => {
    expect(whileNoRecord(undefined, t0, 60_000)).toEqual({ kind: 'abandon' });
  });

  it('leaves a failed record, terminal, with nothing run', () => {
    const r = abandonedRecord({ id: 'rr_x', tenant: 't', api: 'chat', model: 'm', window: 'asap', created_at: t0 }, t0 + 5);
    expect(r).toMatchObject({ id: 'rr_x', tenant: 't', status: 'failed', attempts: 0, history: [], created_at: t0, ended_at: t0 + 5, error: { code: 'request_not_stored', status: 503 } });
  });
});

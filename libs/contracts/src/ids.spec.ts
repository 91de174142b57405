import { isRequestId, systemIds } from './ids.js';

describe('request ids', () => {
  it('are rr_ + a ULID, unique and increasing', () => {
    const ids = Array.from({ length: 10_000 }, () => systemIds.requestId());
    expect(ids.every(isRequestId)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
  it.each(['rr_', 'rr_01ARZ3NDEKTSV4RRFFQ69G5FA', 'rr_01ARZ3NDEKTSV4RRFFQ69G5FAVV', 'xx_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'rr_01ARZ3NDEKTSV4RRFFQ69G5FAI', 'rr_01arz3ndektsv4rrffq69g5fav', 5, null])('refuses %p', (v) => {
    expect(isRequestId(v)).toBe(false);
  });
});

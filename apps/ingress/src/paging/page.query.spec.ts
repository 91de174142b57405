import { readPageQuery } from './page.query.js';

describe('readPageQuery', () => {
  it('defaults to 20 items, newest first', () => {
    expect(readPageQuery({})).toEqual({ limit: 20, order: 'desc' });
    expect(readPageQuery({ after: 'msg_x', limit: '100', order: 'asc', 'include[]': 'x' })).toEqual({ after: 'msg_x', limit: 100, order: 'asc' });
  });

  it("takes a list's own bounds (the Files API: up to 10,000, all by default)", () => {
    const files = { max: 10_000, default: 10_000 };
    expect(readPageQuery({}, files)).toEqual({ limit: 10_000, order: 'desc' });
    expect(readPageQuery({ limit: '10000' }, files)).toEqual({ limit: 10_000, order: 'desc' });
    expect(() => readPageQuery({ limit: '10001' }, files)).toThrow(expect.objectContaining({ status: 400, param: 'limit', message: "'limit' must be a whole number from 1 to 10000." }));
  });

  it('takes a numeric limit (a JSON body)', () => {
    expect(readPageQuery({ limit: 5 })).toEqual({ limit: 5, order: 'desc' });
  });

  it.each([
    [{ limit: '0' }, 'limit'], [{ limit: '101' }, 'limit'], [{ limit: 'ten' }, 'limit'], [{ limit: ['1', '2'] }, 'limit'],
    [{ limit: 2.5 }, 'limit'], [{ limit: '' }, 'limit'], [{ order: 'up' }, 'order'], [{ after: '' }, 'after'], [{ after: ['a', 'b'] }, 'after'],
  ])('%j is a 400 naming %s', (q, param) => {
    expect(() => readPageQuery(q)).toThrow(expect.objectContaining({ status: 400, param }));
  });
});

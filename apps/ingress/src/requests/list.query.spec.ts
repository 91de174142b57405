import { readListQuery } from './list.query.js';

describe('readListQuery', () => {
  it('reads the page and the filters, a window by its aliases too', () => {
    expect(readListQuery({})).toEqual({ limit: 20, order: 'desc' });
    expect(readListQuery({ after: 'rr_x', limit: '5', order: 'asc', status: 'failed', completion_window: 'now', model: 'mock-1', other: 'x' }))
      .toEqual({ after: 'rr_x', limit: 5, order: 'asc', status: 'failed', window: 'asap', model: 'mock-1' });
  });

  it.each([
    [{ status: 'done' }, 'status'], [{ status: ['failed', 'queued'] }, 'status'], [{ completion_window: 'soon' }, 'completion_window'],
    [{ completion_window: 'toString' }, 'completion_window'], [{ model: '' }, 'model'], [{ model: ['a', 'b'] }, 'model'], [{ limit: '0' }, 'limit'],
  ])('%j is a 400 naming %s', (q, param) => {
    expect(() => readListQuery(q)).toThrow(expect.objectContaining({ status: 400, param }));
  });
});

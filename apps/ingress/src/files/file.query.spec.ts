import { readFileListQuery } from './file.query.js';

describe('readFileListQuery', () => {
  it('lists every file (up to 10,000), newest first, of any purpose unless told', () => {
    expect(readFileListQuery({})).toEqual({ limit: 10_000, order: 'desc' });
    expect(readFileListQuery({ purpose: 'batch_output', limit: '5', order: 'asc', after: 'file-x', extra: '1' }))
      .toEqual({ purpose: 'batch_output', limit: 5, order: 'asc', after: 'file-x' });
  });

  it.each([
    [{ purpose: 'batches' }, 'purpose'], [{ purpose: ['batch', 'batch'] }, 'purpose'], [{ purpose: '' }, 'purpose'],
    [{ limit: '0' }, 'limit'], [{ limit: '10001' }, 'limit'], [{ order: 'newest' }, 'order'], [{ after: '' }, 'after'],
  ])('%j is a 400 naming %s', (q, param) => {
    expect(() => readFileListQuery(q)).toThrow(expect.objectContaining({ status: 400, param }));
  });
});

import { badRequest } from '@reqrun/contracts';
import { pageOf } from './list.page.js';

describe('pageOf', () => {
  const items = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }));
  const unknown = (after: string) => badRequest(`no ${after}`, 'after');
  const ids = (p: { data: { id: string }[] }) => p.data.map((i) => i.id);

  it.each([
    [{ limit: 2, order: 'desc' as const }, ['a', 'b'], 'a', 'b', true],
    [{ limit: 2, order: 'desc' as const, after: 'b' }, ['c', 'd'], 'c', 'd', true],
    [{ limit: 2, order: 'desc' as const, after: 'c' }, ['d', 'e'], 'd', 'e', false],
    [{ limit: 10, order: 'desc' as const, after: 'e' }, [], null, null, false],
  ])('%j is %j', (q, data, first, last, more) => {
    const sut = pageOf(items, q, unknown);
    expect({ ...sut, data: ids(sut) }).toEqual({ object: 'list', data, first_id: first, last_id: last, has_more: more });
  });

  it("refuses an 'after' that is not in the list", () => {
    expect(() => pageOf(items, { limit: 2, order: 'desc', after: 'z' }, unknown)).toThrow(expect.objectContaining({ status: 400, param: 'after', message: 'no z' }));
  });
});

import { anthropicList, readAnthropicPageQuery } from './anthropic-page.js';

describe('readAnthropicPageQuery', () => {
  it('defaults to 20 and reads the cursors', () => {
    expect(readAnthropicPageQuery({})).toEqual({ limit: 20 });
    expect(readAnthropicPageQuery({ limit: '1000', after_id: 'a', before_id: 'b', other: 'x' })).toEqual({ limit: 1000, after_id: 'a', before_id: 'b' });
  });

  it.each([[{ limit: '0' }, 'limit'], [{ limit: '1001' }, 'limit'], [{ limit: 'ten' }, 'limit'], [{ limit: ['1'] }, 'limit'], [{ after_id: '' }, 'after_id'], [{ before_id: ['a', 'b'] }, 'before_id']])(
    '%j is a 400 naming %s', (q, param) => {
      expect(() => readAnthropicPageQuery(q)).toThrow(expect.objectContaining({ status: 400, param }));
    });
});

describe('anthropicList', () => {
  it('names the first and last ids of the page', () => {
    expect(anthropicList([{ id: 'a' }, { id: 'b' }], true)).toEqual({ data: [{ id: 'a' }, { id: 'b' }], has_more: true, first_id: 'a', last_id: 'b' });
    expect(anthropicList([], false)).toEqual({ data: [], has_more: false, first_id: null, last_id: null });
  });
});

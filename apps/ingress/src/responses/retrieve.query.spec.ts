import { readRetrieveQuery } from './retrieve.query.js';

describe('readRetrieveQuery', () => {
  it.each([
    [{}, { stream: false }],
    [{ stream: 'false' }, { stream: false }],
    [{ stream: 'true' }, { stream: true }],
    [{ stream: 'true', starting_after: '0' }, { stream: true, startingAfter: 0 }],
    [{ stream: 'true', starting_after: '42', 'include[]': 'x' }, { stream: true, startingAfter: 42 }],
  ])('%j', (q, want) => {
    expect(readRetrieveQuery(q)).toEqual(want);
  });

  it.each([
    [{ stream: 'yes' }, 'stream'],
    [{ stream: ['true', 'true'] }, 'stream'],
    [{ stream: 'true', starting_after: '-1' }, 'starting_after'],
    [{ stream: 'true', starting_after: '1.5' }, 'starting_after'],
    [{ stream: 'true', starting_after: 'abc' }, 'starting_after'],
    [{ stream: 'true', starting_after: '' }, 'starting_after'],
    [{ stream: 'true', starting_after: '9999999999999999' }, 'starting_after'],
  ])('refuses %j naming %s', (q, param) => {
    expect(() => readRetrieveQuery(q)).toThrow(expect.objectContaining({ status: 400, param }));
  });
});

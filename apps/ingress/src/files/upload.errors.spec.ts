import { ReqRunError } from '@reqrun/contracts';
import { formError, tooLarge } from './upload.errors.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code, statusCode: 413 });

describe('formError', () => {
  it.each([
    [coded('FST_REQ_FILE_TOO_LARGE'), 413, 'file'],
    [coded('FST_FILES_LIMIT'), 400, 'file'],
    [coded('FST_FIELDS_LIMIT'), 400, null],
    [coded('FST_PARTS_LIMIT'), 400, null],
    [Object.assign(new Error('the request was closed before the multipart data was fully parsed'), { code: 'FST_MP_PREMATURE_CLOSE' }), 400, null],
    [new Error('Unexpected end of form'), 400, null],
    ['not even an error', 400, null],
  ])('%s is a %d naming %s', (e, status, param) => {
    expect(formError(e, 100)).toMatchObject({ status, param });
  });

  it('names the limit, and passes our own errors through', () => {
    expect(formError(coded('FST_REQ_FILE_TOO_LARGE'), 100).message).toMatch(/files\.max_bytes: 100 bytes/);
    const ours = tooLarge(7);
    expect(formError(ours, 100)).toBe(ours);
    expect(formError(new Error('Unexpected end of form'), 100)).toBeInstanceOf(ReqRunError);
    expect(formError(new Error('Unexpected end of form'), 100).message).toBe('The multipart form could not be read (Unexpected end of form).');
  });
});

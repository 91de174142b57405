import { badRequest, ErrorCode, ReqRunError } from '@reqrun/contracts';

export const tooLarge = (maxBytes: number) =>
  new ReqRunError(ErrorCode.BodyTooLarge, `The file is larger than this server accepts (files.max_bytes: ${maxBytes} bytes).`, 413, 'file');

export const notMultipart = () =>
  badRequest("Upload the file as multipart/form-data, with the fields 'file' (the file) and 'purpose' (batch).", 'file');

/**
 * A form the multipart parser (@fastify/multipart, busboy) could not read or refused: the caller's doing, never
 * ours, so a 400 (or the 413 of a file over the limit).
 */
export function formError(e: unknown, maxBytes: number): ReqRunError {
  if (e instanceof ReqRunError) return e;
  switch ((e as { code?: unknown } | null)?.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(maxBytes);
    case 'FST_FILES_LIMIT':
      return badRequest("Send one file per upload, in the field 'file'.", 'file');
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return badRequest("The form has more fields than an upload takes: send 'file' and 'purpose'.");
  }
  return badRequest(`The multipart form could not be read (${(e as Error | null)?.message ?? String(e)}).`);
}

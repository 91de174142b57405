import multipart from '@fastify/multipart';
import type { Booted } from '@reqrun/runtime';
import { sendError } from '../errors/send-error.js';
import { notMultipart, tooLarge } from './upload.errors.js';
import { isUploadRoute } from './upload.route.js';

/** Room for the form around the file (boundaries, part headers, `purpose`): a body longer than the file limit and this is refused unread. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/**
 * Multipart uploads, on upload routes only (`@UploadRoute()`): the parser is registered for `multipart/form-data`,
 * which the JSON checks refuse everywhere else, so JSON bodies are parsed as before. An upload route takes
 * multipart only (400 otherwise) and, when the body's length is declared, refuses one that cannot fit
 * `files.max_bytes` (413) before reading it; the file's own size is bounded as it streams (see FileUploads).
 */
export function installUploads({ app, config, log }: Booted): void {
  const maxBytes = config.files.max_bytes;
  // One file and a few short fields: `purpose`, and whatever else a client sends along (ignored).
  void app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 16, fieldSize: 1024, parts: 32, headerPairs: 32 } });
  app.getHttpAdapter().getInstance().addHook('onRequest', async (req, reply) => {
    if (!isUploadRoute(req)) return;
    if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      sendError(notMultipart(), req, reply, log);
      return reply;
    }
    if (Number(req.headers['content-length']) > maxBytes + FORM_OVERHEAD_BYTES) {
      sendError(tooLarge(maxBytes), req, reply, log);
      return reply;
    }
  });
}

import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { badRequest } from '@reqrun/contracts';
import { CONFIG, LOGGER, type Logger } from '@reqrun/runtime';
import { FileStore, type FileObject } from '@reqrun/store';
import type { FastifyRequest } from 'fastify';
import { formError, notMultipart, tooLarge } from './upload.errors.js';

/** How long the parser may wait for the next part while no byte of the body comes. */
const STUCK_MS = 5_000;
const STUCK = Symbol('the parser never settled the next part');

/** The one purpose a file is uploaded for: ReqRun keeps files for its Batch API. */
export const UPLOAD_PURPOSE = 'batch';

/**
 * `POST /v1/files`' form, read as it arrives: the file streams into the FileStore (never held whole), cut at
 * `files.max_bytes`. Since `batch` is the only purpose accepted, the file is stored as one before `purpose` is read
 * (the SDKs send the file first) and deleted if `purpose` then turns out missing or another. Whatever goes wrong (a
 * field, an empty or too large file, a broken form, NATS) leaves nothing stored.
 */
@Injectable()
export class FileUploads {
  private readonly maxBytes: number;

  constructor(private readonly store: FileStore, @Inject(CONFIG) config: Config, @Inject(LOGGER) private readonly log: Logger) {
    this.maxBytes = config.files.max_bytes;
  }

  async receive(req: FastifyRequest, tenant: string): Promise<FileObject> {
    if (!req.isMultipart()) throw notMultipart();
    let stored: FileObject | undefined;
    let purpose: string | undefined;
    try {
      for await (const part of this.parts(req)) {
        if (part.type === 'field') {
          purpose = readField(part, purpose);
        } else {
          if (part.fieldname !== 'file') throw badRequest(`A file was sent in '${part.fieldname}': send it in 'file'.`, part.fieldname);
          if (purpose !== undefined) checkPurpose(purpose);
          stored = await this.put(tenant, part);
        }
      }
      if (!stored) throw badRequest("The form has no 'file': send the file as a file part named 'file'.", 'file');
      if (purpose === undefined) throw badRequest("The form has no 'purpose': send 'purpose' with the value batch.", 'purpose');
      checkPurpose(purpose);
      if (stored.bytes === 0) throw badRequest('The file is empty.', 'file');
      return stored;
    } catch (e) {
      discardRest(req.raw);
      if (stored) await this.store.delete(tenant, stored.id).catch((err) => this.log.error({ err, file: stored!.id }, 'a refused upload could not be deleted'));
      throw e;
    }
  }

  /**
   * The form's parts; the parser's errors (a broken form, a limit) become the caller's 400 or 413. A parser that
   * settles no next part while no byte of the body has come for STUCK_MS is stuck on a broken form too: busboy stops
   * reading, for ever, at a part whose headers never end (a bare CR in them, then a long body), and the caller would
   * get no answer.
   */
  private async *parts(req: FastifyRequest) {
    const parts = req.parts()[Symbol.asyncIterator]();
    let lastData = Date.now();
    const onData = () => (lastData = Date.now());
    req.raw.on('data', onData);
    /** STUCK once no data has come for STUCK_MS; stops watching when `settled` aborts (the race is decided then). */
    const stuck = async (settled: AbortSignal): Promise<typeof STUCK> => {
      while (!settled.aborted && Date.now() - lastData < STUCK_MS) {
        await sleep(Math.max(50, lastData + STUCK_MS - Date.now()), undefined, { signal: settled }).catch(() => undefined);
      }
      return STUCK;
    };
    try {
      for (;;) {
        const settled = new AbortController();
        const next = await Promise.race([parts.next(), stuck(settled.signal)]).finally(() => settled.abort());
        if (next === STUCK) throw formError(new Error('no next part, and no more of the body, came'), this.maxBytes);
        if (next.done) return;
        yield next.value;
      }
    } catch (e) {
      throw formError(e, this.maxBytes);
    } finally {
      req.raw.off('data', onData);
    }
  }

  /** Streams the part into the store; a file busboy cut at the limit fails the write (the store then keeps nothing of it). */
  private async put(tenant: string, part: MultipartFile): Promise<FileObject> {
    const file = part.file;
    const data = (Readable.toWeb(file) as ReadableStream<Uint8Array>).pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      flush: (c) => {
        if (file.truncated) c.error(tooLarge(this.maxBytes));
      },
    }));
    try {
      return await this.store.put(tenant, { filename: part.filename, purpose: UPLOAD_PURPOSE, data });
    } catch (e) {
      // The form broke mid-file (or the client left): the caller's doing, not the store's.
      throw file.errored ? formError(file.errored, this.maxBytes) : e;
    }
  }
}

/** A text field: `purpose` is kept (once); `expires_after` is refused (files live as long as requests); others are ignored. */
function readField(part: MultipartValue, purpose: string | undefined): string | undefined {
  if (part.fieldname === 'purpose') {
    if (purpose !== undefined) throw badRequest("'purpose' is given more than once.", 'purpose');
    return String(part.value);
  }
  if (part.fieldname.startsWith('expires_after')) {
    throw badRequest("'expires_after' is not supported: a file is kept as long as requests are (requests.ttl_s); its expires_at says until when.", 'expires_after');
  }
  return purpose;
}

function checkPurpose(purpose: string): void {
  if (purpose !== UPLOAD_PURPOSE) throw badRequest(`'purpose' must be ${UPLOAD_PURPOSE}: ReqRun keeps files for its Batch API only.`, 'purpose');
}

/** Reads and drops the rest of a body the upload stopped reading, so the client finishes sending and gets the answer. */
function discardRest(raw: IncomingMessage): void {
  if (raw.readableEnded) return;
  raw.unpipe();
  raw.resume();
}

import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { ObjectInfo, ObjectStore } from '@nats-io/obj';
import { createHash, randomBytes } from 'node:crypto';

/** A stored file as OpenAI's Files API shows it (`GET /v1/files/{id}`), less `expires_at` (the bucket's TTL, which the store does not know). */
export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  /** Seconds. */
  created_at: number;
  filename: string;
  /** `batch` (a batch's input), `batch_output` (its output and error files). */
  purpose: string;
  status: 'processed';
}

export interface NewFile {
  filename: string;
  purpose: string;
  data: Uint8Array | ReadableStream<Uint8Array>;
  /** Store under this id (FILE_ID_PATTERN), replacing the file there: a re-run that writes the same file again leaves one. */
  id?: string;
}

/** OpenAI's file id shape: `file-` and 24 characters. */
export const FILE_ID_PATTERN = /^file-[0-9A-Za-z]{24}$/;

/** Chunks (128 KiB each) `content` reads ahead of its reader, so a reader that works between reads seldom waits. */
const READ_AHEAD = 16;

const newFileId = (): string => `file-${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;

/**
 * Files in the NATS object store, one object per file named by its id; who owns it (the tenant), its name, purpose
 * and creation time are the object's metadata. Another tenant's file is answered as absent, as an unknown one.
 */
export class FileStore {
  constructor(private readonly os: ObjectStore) {}

  /** Stores `f` for `tenant` (chunked by the object store: no size bound here beyond the caller's). */
  async put(tenant: string, f: NewFile): Promise<FileObject> {
    const id = f.id ?? newFileId();
    if (!FILE_ID_PATTERN.test(id)) throw new Error(`not a file id: ${id}`);
    const meta = { name: id, metadata: { tenant, filename: f.filename, purpose: f.purpose, created_at: String(Date.now()) } };
    const info = f.data instanceof Uint8Array ? await this.os.putBlob(meta, f.data) : await this.os.put(meta, f.data);
    return view(info)!;
  }

  /** The file, or null when it does not exist (or was deleted) or is another tenant's. */
  async get(tenant: string, id: string): Promise<FileObject | null> {
    if (!FILE_ID_PATTERN.test(id)) return null;
    return view(await this.os.info(id), tenant);
  }

  /**
   * The file, with its bytes as a stream; null as for `get`. Fetched a few chunks at a time as the reader takes them
   * (READ_AHEAD ahead), so a slow reader holds a few chunks whatever the file's size (the object store's own `get`
   * pushes every chunk into the stream as fast as they arrive); its digest checked at the end, as `get` does.
   */
  async content(tenant: string, id: string): Promise<{ file: FileObject; data: ReadableStream<Uint8Array> } | null> {
    if (!FILE_ID_PATTERN.test(id)) return null;
    const info = await this.os.info(id);
    const file = view(info, tenant);
    if (!file) return null;
    if (info!.options?.link) { // never written by this store; read as the object store does
      const data = (await this.os.get(id))?.data;
      return data ? { file, data } : null;
    }
    const { js, stream, name } = this.os as ObjectStore & { js: JetStreamClient; stream: string; name: string };
    // An ordered consumer, fetched from as the reader asks: nothing runs between fetches (one left unread is removed by the server when idle).
    const consumer = await js.consumers.get(stream, { filter_subjects: `$O.${name}.C.${info!.nuid}` });
    const sha = createHash('sha256');
    let read = 0;
    let batch: AsyncIterator<JsMsg> | null = null;
    const next = async (): Promise<Uint8Array | null> => {
      for (let fetches = 0; fetches < 2; fetches++) {
        batch ??= (await consumer.fetch({ max_messages: Math.min(READ_AHEAD, info!.chunks - read), expires: 10_000 }))[Symbol.asyncIterator]();
        const m = await batch.next();
        if (!m.done) return m.value.data;
        batch = null;
      }
      return null;
    };
    const data = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (read >= info!.chunks) {
          void consumer.delete().catch(() => undefined);
          if (!sha.digest().equals(Buffer.from(info!.digest.replace(/^SHA-256=/, ''), 'base64url'))) c.error(new Error(`file ${id}: corrupt, its digest does not match`));
          else c.close();
          return;
        }
        const data = await next();
        if (!data) return c.error(new Error(`file ${id}: chunk ${read + 1} of ${info!.chunks} is missing`));
        read++;
        sha.update(data);
        c.enqueue(data);
      },
      async cancel() {
        await consumer.delete().catch(() => undefined);
      },
    }, { highWaterMark: READ_AHEAD });
    return { file, data };
  }

  /** Deletes the file: false when there was none to delete (or it is another tenant's). */
  async delete(tenant: string, id: string): Promise<boolean> {
    if (!(await this.get(tenant, id))) return false;
    await this.os.delete(id);
    return true;
  }

  /** The tenant's files, newest first (all of them: the object store lists every object). */
  async list(tenant: string, purpose?: string): Promise<FileObject[]> {
    const all = (await this.os.list()).map((i) => view(i, tenant)).filter((f): f is FileObject => f !== null);
    return all.filter((f) => purpose === undefined || f.purpose === purpose).sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1));
  }
}

function view(info: ObjectInfo | null, tenant?: string): FileObject | null {
  const m = info?.metadata;
  if (!info || info.deleted || !m || (tenant !== undefined && m.tenant !== tenant)) return null;
  return {
    id: info.name, object: 'file', bytes: info.size, created_at: Math.floor(Number(m.created_at) / 1000),
    filename: m.filename ?? info.name, purpose: m.purpose ?? 'batch', status: 'processed',
  };
}

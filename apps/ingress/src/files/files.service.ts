import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '@reqrun/config';
import { badRequest, ErrorCode, ReqRunError } from '@reqrun/contracts';
import { CONFIG } from '@reqrun/runtime';
import { FileStore, type FileObject } from '@reqrun/store';
import { pageOf, type ListPage } from '../paging/list.page.js';
import type { FileListQuery } from './file.query.js';
import { fileView, type FileView } from './file.view.js';

/** OpenAI's answer for an unknown file id (also a malformed one, or another tenant's). */
const noSuchFile = (id: string) => new ReqRunError(ErrorCode.NotFound, `No such File object: ${id}`, 404, 'id');

/** The purposes of the files the Files API shows: a Message Batch's own files (purpose `message_batch`) are its batch's. */
const SHOWN = new Set(['batch', 'batch_output']);
const shown = (f: FileObject | null): f is FileObject => f !== null && SHOWN.has(f.purpose);

/** A tenant's files, read, listed and deleted; another tenant's file is the same 404 as an unknown one. */
@Injectable()
export class FilesService {
  private readonly ttlS: number;

  constructor(private readonly store: FileStore, @Inject(CONFIG) config: Config) {
    this.ttlS = config.requests.ttl_s;
  }

  view(f: FileObject): FileView {
    return fileView(f, this.ttlS);
  }

  async get(tenant: string, id: string): Promise<FileView> {
    const f = await this.store.get(tenant, id);
    if (!shown(f)) throw noSuchFile(id);
    return this.view(f);
  }

  /** The file's size and its bytes as stored, streamed. */
  async content(tenant: string, id: string): Promise<{ bytes: number; data: ReadableStream<Uint8Array> }> {
    const c = await this.store.content(tenant, id);
    if (!c || !shown(c.file)) {
      await c?.data.cancel();
      throw noSuchFile(id);
    }
    return { bytes: c.file.bytes, data: c.data };
  }

  async delete(tenant: string, id: string): Promise<{ id: string; object: 'file'; deleted: true }> {
    if (!shown(await this.store.get(tenant, id)) || !(await this.store.delete(tenant, id))) throw noSuchFile(id);
    return { id, object: 'file', deleted: true };
  }

  /** Newest first unless `order=asc` (by `created_at`, then id); `after` must be one of the caller's files. */
  async list(tenant: string, q: FileListQuery): Promise<ListPage<FileView>> {
    const newestFirst = (await this.store.list(tenant, q.purpose)).filter(shown).map((f) => this.view(f));
    return pageOf(q.order === 'asc' ? newestFirst.reverse() : newestFirst, q,
      (after) => badRequest(`'after' must be the id of one of your files from an earlier page; ${after} is not.`, 'after'));
  }
}

import type { FileObject } from '@reqrun/store';
import { fileView } from './file.view.js';

describe('fileView', () => {
  const stored: FileObject = { id: 'file-x', object: 'file', bytes: 3, created_at: 1_000, filename: 'a.jsonl', purpose: 'batch', status: 'processed' };

  it('says when the file expires: when the bucket drops it, requests.ttl_s after it was stored', () => {
    expect(fileView(stored, 2_592_000)).toEqual({ ...stored, expires_at: 2_593_000 });
  });

  it('leaves expires_at out for a file kept for ever (ttl_s 0): OpenAI omits it, and its schema allows no null', () => {
    expect(fileView(stored, 0)).toEqual(stored);
  });
});

import type { FileObject } from '@reqrun/store';

/** A file as OpenAI's Files API shows it (`OpenAIFile`). */
export type FileView = FileObject & { expires_at?: number };

/**
 * The stored file with its `expires_at`: files live in the object store as long as requests do (`requests.ttl_s`,
 * 30 days as OpenAI keeps batch files), and a file kept for ever (`ttl_s: 0`) has none.
 */
export function fileView(f: FileObject, ttlS: number): FileView {
  return ttlS > 0 ? { ...f, expires_at: f.created_at + ttlS } : f;
}

import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { StreamableFile } from '@nestjs/common';

/** A stored file's bytes as an HTTP answer, streamed as they are read, with its type and length. */
export const streamedFile = (data: ReadableStream<Uint8Array>, type: string, length: number): StreamableFile =>
  new StreamableFile(Readable.fromWeb(data as NodeReadableStream<Uint8Array>), { type, length });

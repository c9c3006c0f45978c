import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { FileStore } from './store.js';

export interface S3StoreOptions {
  bucket: string;
  region: string;
  endpoint?: string | undefined;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/**
 * Content in an S3(-compatible) bucket through the AWS SDK v3. A PUT with a
 * known length streams straight through; S3 refuses streams of unknown length,
 * so a chunked upload (no Content-Length) is gathered first, which the 2 MB
 * limit bounds. An aborted PUT stores nothing.
 */
export function s3FileStore(options: S3StoreOptions): FileStore & { client: S3Client } {
  const client = new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    // Checksums only where S3 requires them: a streamed PUT then goes out as plain
    // bytes (not aws-chunked with a trailer), which every S3-compatible server reads.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const Bucket = options.bucket;
  return {
    kind: 's3',
    client,
    async put(key, content, length) {
      if (length === undefined) {
        const parts: Buffer[] = [];
        for await (const chunk of content) parts.push(chunk);
        const body = Buffer.concat(parts);
        await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body }));
        return;
      }
      const body = Readable.from(content, { objectMode: false });
      // A client that breaks off mid-upload fails the stream: end the PUT with it.
      const abort = new AbortController();
      body.on('error', (error) => abort.abort(error));
      await client.send(
        new PutObjectCommand({ Bucket, Key: key, Body: body, ContentLength: length }),
        { abortSignal: abort.signal },
      );
    },
    async get(key) {
      const { Body } = await client.send(new GetObjectCommand({ Bucket, Key: key }));
      if (!(Body instanceof Readable)) throw new Error(`S3 gave no stream for ${key}`);
      return Body;
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    async close() {
      client.destroy();
    },
  };
}

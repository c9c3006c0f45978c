import { createHash } from 'node:crypto';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '@gittix/common';

/** What a ticket file may be, each with the bytes its content must start with. */
export const ticketFileTypes = {
  'application/pdf': { extension: 'pdf', label: 'PDF', magic: Buffer.from('%PDF-', 'latin1') },
  'image/png': {
    extension: 'png',
    label: 'PNG image',
    magic: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  },
  'image/jpeg': { extension: 'jpg', label: 'JPEG image', magic: Buffer.from([0xff, 0xd8, 0xff]) },
} as const;

export type TicketFileType = keyof typeof ticketFileTypes;

/** Enough of the start of a file to tell every accepted type apart. */
export const SNIFF_BYTES = Math.max(...Object.values(ticketFileTypes).map((t) => t.magic.length));

const accepted = Object.keys(ticketFileTypes).join(', ');

/** The declared type of an upload (`image/PNG; x=y` → `image/png`), or a 415. */
export function declaredFileType(contentType: string | undefined): TicketFileType {
  const essence = contentType?.split(';')[0]?.trim().toLowerCase();
  if (essence && Object.hasOwn(ticketFileTypes, essence)) return essence as TicketFileType;
  throw new UnsupportedMediaTypeError(`Send the ticket file as one of: ${accepted}`);
}

/** Whether `head` (the first bytes of the content) starts as `type` must. */
export function looksLike(type: TicketFileType, head: Buffer): boolean {
  const { magic } = ticketFileTypes[type];
  return head.length >= magic.length && head.subarray(0, magic.length).equals(magic);
}

export class EmptyFileError extends BadRequestError {
  constructor() {
    super('The ticket file is empty');
  }
}

export class NotThatTypeError extends BadRequestError {
  constructor(type: TicketFileType) {
    super(`The file is not a real ${ticketFileTypes[type].label}`);
  }
}

export class FileTooLargeError extends PayloadTooLargeError {
  constructor(maxBytes: number) {
    super(`The ticket file must be at most ${maxBytes / (1024 * 1024)} MB`);
  }
}

/** What streaming a file in measured: set once the whole content has passed. */
export interface FileMeasure {
  size: number;
  sha256: string;
}

/**
 * Passes an upload through as it arrives, checking on the way that it starts as
 * `type` must (before the first byte is passed on), that it is not empty and not
 * over `maxBytes`, and measuring its size and SHA-256 into `measure`. Any breach
 * throws (EmptyFileError, NotThatTypeError, FileTooLargeError), failing the store
 * that reads it; `measure.failure` keeps the breach, whatever error the store
 * wraps it in.
 */
export async function* inspectUpload(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  type: TicketFileType,
  maxBytes: number,
  measure: Partial<FileMeasure> & { failure?: Error },
): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let size = 0;
  let head: Buffer | undefined = Buffer.alloc(0);
  const fail = (error: Error): never => {
    measure.failure = error;
    throw error;
  };
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece);
    if (chunk.length === 0) continue;
    size += chunk.length;
    if (size > maxBytes) fail(new FileTooLargeError(maxBytes));
    hash.update(chunk);
    if (head) {
      head = Buffer.concat([head, chunk]);
      if (head.length < SNIFF_BYTES) continue;
      if (!looksLike(type, head)) fail(new NotThatTypeError(type));
      const checked: Buffer = head;
      head = undefined;
      yield checked;
    } else {
      yield chunk;
    }
  }
  if (size === 0) fail(new EmptyFileError());
  if (head) {
    // Shorter than SNIFF_BYTES in all: still has to start right.
    if (!looksLike(type, head)) fail(new NotThatTypeError(type));
    yield head;
  }
  measure.size = size;
  measure.sha256 = hash.digest('hex');
}

/**
 * Reads just enough of an upload to know what it is (SNIFF_BYTES, or all of a
 * shorter one) and checks it, before any store is asked to take it: the
 * returned stream gives back those first bytes, then the rest as it arrives.
 */
export async function sniffUpload(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  type: TicketFileType,
): Promise<AsyncIterable<Buffer>> {
  const iterator = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let done = false;
  while (head.length < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head = Buffer.concat([head, Buffer.from(next.value)]);
  }
  if (head.length === 0) throw new EmptyFileError();
  if (!looksLike(type, head)) throw new NotThatTypeError(type);
  return (async function* () {
    yield head;
    while (!done) {
      const next = await iterator.next();
      if (next.done) return;
      yield Buffer.from(next.value);
    }
  })();
}

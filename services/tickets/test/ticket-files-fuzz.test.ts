import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { TICKET_FILE_MAX_BYTES } from '@gittix/common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzParameters } from '../../../e2e/fuzz/fuzz-config.js';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';

// The upload route of the tickets service against random bodies and content types:
// never a 5xx, exactly the status an oracle expects, and nothing stored on a 4xx.

const MAGIC: Record<string, number[]> = {
  'application/pdf': [...Buffer.from('%PDF-')],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff],
};

/**
 * What the API must answer for this upload (the contract, restated in docs/tickets.md's
 * order): with a `content-length`, 413 before the signature is read; `chunked` (no
 * length), the signature is read first and the size is known only once the body
 * passes the limit, so a wrong signature on an oversized body is 400.
 */
function expectedStatus(contentType: string | undefined, body: Buffer, chunked: boolean): number {
  const essence = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const magic = MAGIC[essence];
  if (!magic) return 415;
  const tooLarge = body.length > TICKET_FILE_MAX_BYTES;
  if (tooLarge && !chunked) return 413;
  if (body.length === 0) return 400;
  if (body.length < magic.length || !body.subarray(0, magic.length).equals(Buffer.from(magic)))
    return 400;
  return tooLarge ? 413 : 204;
}

const contentTypes = fc.oneof(
  fc.constantFrom(...Object.keys(MAGIC)),
  fc.constantFrom('APPLICATION/PDF', 'image/PNG; q=1', 'image/jpeg;charset=binary'),
  fc.constantFrom('application/json', 'text/plain', 'text/html', 'image/gif', 'image/svg+xml'),
  fc.constant(undefined),
  fc.string({ maxLength: 40 }).filter((s) => /^[\x21-\x7e]+$/.test(s)),
);

const bodies = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...Object.values(MAGIC)), fc.uint8Array({ maxLength: 300_000 }))
      .map(([magic, rest]) => Buffer.concat([Buffer.from(magic), Buffer.from(rest)])),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...Object.values(MAGIC)), fc.integer({ min: 1, max: 64 }))
      .map(([magic, extra]) =>
        Buffer.concat([
          Buffer.from(magic),
          Buffer.alloc(TICKET_FILE_MAX_BYTES + extra - magic.length),
        ]),
      ),
  },
);

describe('fuzzing PUT /api/tickets/:id/file', () => {
  let fx: TicketsFixture;
  beforeAll(async () => {
    fx = await createTicketsFixture();
  });
  afterAll(() => fx?.close());

  it('when random bytes arrive under random content types, then the answer is the expected 2xx/4xx, never a 5xx, and a 4xx stores nothing', async () => {
    const seller = await fx.user();
    await fc.assert(
      fc.asyncProperty(contentTypes, bodies, fc.boolean(), async (contentType, body, chunked) => {
        const ticket = await fx.listTicket(seller);
        const response = await fx.app.inject({
          method: 'PUT',
          url: `/api/tickets/${ticket.id}/file`,
          headers: { ...seller.headers, ...(contentType ? { 'content-type': contentType } : {}) },
          ...(body.length > 0
            ? { payload: chunked ? Readable.from([body.subarray(0, 5), body.subarray(5)]) : body }
            : {}),
        });
        expect(response.statusCode).toBeLessThan(500);
        expect(response.statusCode).toBe(
          expectedStatus(contentType, body, body.length > 0 && chunked),
        );
        const row = await fx.db
          .selectFrom('ticket_files')
          .select('sha256')
          .where('ticket_id', '=', ticket.id)
          .executeTakeFirst();
        const chunks = await fx.db
          .selectFrom('ticket_file_chunks')
          .select('seq')
          .where('object_key', 'like', `tickets/${ticket.id}/%`)
          .execute();
        if (response.statusCode === 204) {
          expect(row?.sha256).toBe(createHash('sha256').update(body).digest('hex'));
        } else {
          expect(response.json().errors[0].message).toEqual(expect.any(String));
          expect(row).toBeUndefined();
          expect(chunks).toEqual([]);
        }
      }),
      fuzzParameters(1),
    );
  }, 240_000);
});

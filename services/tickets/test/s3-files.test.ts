import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3FileStore } from '../src/files/s3-store.js';
import { downloadTicketFile } from '../src/files/ticket-files.js';
import {
  completePurchase,
  getFile,
  pdfBytes,
  pngBytes,
  putFile,
  replacedBeforeFirstGet,
  sha256,
  storedFile,
} from './files.js';
import { createTicketsFixture, type TicketsFixture } from './fixture.js';

const BUCKET = 'gittix-ticket-files';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

describe('ticket files (stored in an S3-compatible bucket)', () => {
  let fx: TicketsFixture;
  let server: S3rver;
  let directory: string;
  let s3: S3Client;
  let endpoint: string;

  async function objectKeys(ticketId: string): Promise<string[]> {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `tickets/${ticketId}/` }),
    );
    return (listed.Contents ?? []).map((object) => object.Key ?? '');
  }

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'gittix-s3-'));
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory,
      configureBuckets: [{ name: BUCKET, configs: [] }],
    });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: CREDENTIALS,
    });
    fx = await createTicketsFixture({
      env: {
        S3_BUCKET: BUCKET,
        S3_ENDPOINT: endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      },
    });
    await fx.startConsumers();
  });
  afterAll(async () => {
    await fx?.close();
    s3?.destroy();
    await server?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('when the seller attaches a PDF, then it lands in the bucket (not the database) and the buyer downloads the same bytes', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller);
    const pdf = pdfBytes(1536 * 1024);

    expect((await putFile(fx, ticket.id, seller, pdf)).statusCode).toBe(204);

    const { row, chunks } = await storedFile(fx, ticket.id);
    expect(row).toMatchObject({ storage: 's3', size_bytes: pdf.length, sha256: sha256(pdf) });
    expect(chunks).toBe(0);
    expect(await objectKeys(ticket.id)).toEqual([row?.object_key]);

    const buyer = await fx.user();
    await completePurchase(fx, ticket, buyer.id);
    const download = await getFile(fx, ticket.id, buyer);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="ticket-${ticket.id}.pdf"`,
    );
    expect(sha256(download.rawPayload)).toBe(sha256(pdf));
  });

  it('when the seller replaces the file, then the old object is deleted from the bucket', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller);
    await putFile(fx, ticket.id, seller, pdfBytes());
    const png = pngBytes(20_000);

    expect((await putFile(fx, ticket.id, seller, png, 'image/png')).statusCode).toBe(204);

    const { row } = await storedFile(fx, ticket.id);
    expect(await objectKeys(ticket.id)).toEqual([row?.object_key]);
    expect((await getFile(fx, ticket.id, seller)).rawPayload.equals(png)).toBe(true);
  });

  it('when the seller replaces the file between a download reading its row and fetching its object, then the buyer gets the new file, not a 500', async () => {
    const seller = await fx.user();
    const ticket = await fx.listTicket(seller);
    await putFile(fx, ticket.id, seller, pdfBytes());
    const buyer = await fx.user();
    await completePurchase(fx, ticket, buyer.id);
    const replacement = pngBytes(30_000);
    // The bucket the service uses, through a store that lets the replacement land
    // (committed, the old object deleted) just before the first object is fetched.
    const bucket = s3FileStore({
      bucket: BUCKET,
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: CREDENTIALS,
    });
    const racing = replacedBeforeFirstGet(bucket, async () => {
      expect((await putFile(fx, ticket.id, seller, replacement, 'image/png')).statusCode).toBe(204);
    });
    try {
      const download = await downloadTicketFile({ db: fx.db, store: racing }, ticket.id, buyer.id);
      expect((await buffer(download.content)).equals(replacement)).toBe(true);
      expect(download.file).toMatchObject({
        content_type: 'image/png',
        sha256: sha256(replacement),
      });
      // The record names the content the buyer got.
      const records = await fx.db
        .selectFrom('ticket_file_downloads')
        .select(['sha256', 'role'])
        .where('ticket_id', '=', ticket.id)
        .execute();
      expect(records).toEqual([{ sha256: sha256(replacement), role: 'buyer' }]);
    } finally {
      await bucket.close?.();
    }
  });

  it.each([
    ['not really a PDF', Buffer.from('MZ this is an executable'), 400],
    ['empty', Buffer.alloc(0), 400],
    ['over 2 MB', pdfBytes(2 * 1024 * 1024 + 1), 413],
  ])(
    'when the upload is %s, then it is refused and the bucket holds nothing for the ticket',
    async (_name, body, status) => {
      const seller = await fx.user();
      const ticket = await fx.listTicket(seller);
      expect((await putFile(fx, ticket.id, seller, body)).statusCode).toBe(status);
      expect(await objectKeys(ticket.id)).toEqual([]);
      expect((await storedFile(fx, ticket.id)).row).toBeUndefined();
    },
  );
});

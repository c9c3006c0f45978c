import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Order, Ticket } from '@gittix/api-types';
import { waitFor } from '@gittix/common/testing';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/client.js';
import { type RunningSystem, startSystem } from '../harness/system.js';

const BUCKET = 'gittix-e2e-ticket-files';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('ticket files in an S3 bucket, through the gateway', () => {
  let system: RunningSystem;
  let server: S3rver;
  let directory: string;
  let s3: S3Client;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'gittix-e2e-s3-'));
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory,
      configureBuckets: [{ name: BUCKET, configs: [] }],
    });
    const { port } = await server.run();
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    system = await startSystem({
      web: false,
      extraEnv: {
        S3_BUCKET: BUCKET,
        S3_ENDPOINT: `http://127.0.0.1:${port}`,
        S3_FORCE_PATH_STYLE: 'true',
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
      },
    });
  });
  afterAll(async () => {
    await system?.stop();
    s3?.destroy();
    await server?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('when the seller attaches a PDF and a buyer pays, then the buyer downloads the same bytes from the bucket and a stranger gets 403', async () => {
    const seller = new ApiClient(system.baseUrl);
    const buyer = new ApiClient(system.baseUrl);
    const stranger = new ApiClient(system.baseUrl);
    await seller.signUp('seller');
    await buyer.signUp('buyer');
    await stranger.signUp('stranger');
    const created = await seller.post<Ticket>('/api/tickets', { title: 'S3 show', price: 20 });
    expect(created.status).toBe(201);
    const ticketId = created.body.id;
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(1024 * 1024)]);

    const put = await fetch(`${system.baseUrl}/api/tickets/${ticketId}/file`, {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf', cookie: seller.cookieHeader },
      body: new Uint8Array(pdf),
    });
    expect(put.status).toBe(204);
    // In the bucket, not in the tickets database.
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `tickets/${ticketId}/` }),
    );
    expect(listed.Contents?.map((object) => object.Size)).toEqual([pdf.length]);

    const ordered = await waitFor(
      async () => {
        const r = await buyer.post<Order>('/api/orders', { ticketId });
        return r.status !== 404 && r;
      },
      { message: 'the ticket to reach the orders service' },
    );
    expect(ordered.status).toBe(201);
    const paid = await waitFor(
      async () => {
        const r = await buyer.post('/api/payments', {
          orderId: ordered.body.id,
          token: 'tok_visa',
        });
        return r.status !== 404 && r;
      },
      { message: 'the order to reach the payments service' },
    );
    expect(paid.status).toBe(201);
    await buyer.eventually<Ticket[]>(
      '/api/tickets/purchased',
      (r) => r.status === 200 && r.body.some((t) => t.id === ticketId && t.hasFile),
      'the ticket among the buyer’s purchased tickets',
      60_000,
    );

    const download = await fetch(`${system.baseUrl}/api/tickets/${ticketId}/file`, {
      headers: { cookie: buyer.cookieHeader },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(pdf));

    const refused = await fetch(`${system.baseUrl}/api/tickets/${ticketId}/file`, {
      headers: { cookie: stranger.cookieHeader },
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toHaveProperty('errors');
  }, 120_000);
});

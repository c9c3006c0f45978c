import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../src/logger.js';

/** A logger whose JSON lines are kept, as a log shipper would read them. */
function capturedLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ name: 'test', destination }), lines };
}

describe('request lines', () => {
  it('when a reset or verification link is requested, then its token is not in the log line, and the rest of the URL is', async () => {
    const { logger, lines } = capturedLogger();
    const app = Fastify({ loggerInstance: logger });
    app.get('/auth/reset', async () => 'ok');
    await app.inject({ method: 'GET', url: '/auth/reset?token=s3cr3t-t0ken&next=%2Forders' });
    await app.close();

    const logged = lines.join('\n');
    expect(logged).toContain('/auth/reset?token=%5BRedacted%5D&next=%2Forders');
    expect(logged).not.toContain('s3cr3t-t0ken');
  });

  it('when a URL carries no token, then it is logged exactly as requested', () => {
    for (const url of ['/api/tickets', '/api/tickets?q=rock%20band&limit=5', '/?tokens=1']) {
      expect(redactUrl(url)).toBe(url);
    }
    expect(redactUrl('/auth/verify?a=1&token=x&token=y')).toBe(
      '/auth/verify?a=1&token=%5BRedacted%5D',
    );
  });

  it('when credentials are in headers, then they are still redacted', () => {
    const { logger, lines } = capturedLogger();
    logger.info({
      req: { url: '/x', headers: { cookie: 'session=abc', authorization: 'Bearer t' } },
    });
    expect(lines.join('\n')).not.toMatch(/session=abc|Bearer t/);
  });
});

import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { logRequestError } from '../src/lib/request-errors';

/** A logger writing into `lines`, as the web app's does to stdout. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: pino({ name: 'web' }, stream) };
}

const context = {
  routerKind: 'App Router',
  routePath: '/auth/reset',
  routeType: 'render',
  revalidateReason: undefined,
} as const;

describe('a failed page request in the log', () => {
  it('when a page fails, then one error line names the trace the gateway sent, the route and the path without its query', () => {
    const { lines, log } = capture();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    logRequestError(
      new Error('gateway answered 500'),
      {
        path: '/auth/reset?token=secret-reset-token',
        method: 'GET',
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      },
      context,
      log,
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      name: 'web',
      msg: 'request failed',
      trace_id: traceId,
      parent_span_id: '00f067aa0ba902b7',
      req: { method: 'GET', path: '/auth/reset' },
      route: '/auth/reset',
      routeType: 'render',
      err: { message: 'gateway answered 500' },
    });
    expect(JSON.stringify(lines[0])).not.toContain('secret-reset-token');
  });

  it('when the request came without a (valid) traceparent, then the line has no trace ids rather than wrong ones', () => {
    const { lines, log } = capture();
    logRequestError(
      new Error('boom'),
      { path: '/', method: 'GET', headers: { traceparent: 'not-a-traceparent' } },
      context,
      log,
    );
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[0]).toMatchObject({ msg: 'request failed', req: { path: '/' } });
  });
});

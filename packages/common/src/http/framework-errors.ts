import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Errors Fastify raises before any route or error handler runs: a path whose
 * escapes are not UTF-8, or a path parameter longer than the router allows.
 * Neither can name anything that exists: 404 in the one error shape.
 */
export function frameworkErrors(
  _error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  // Raised before onSend hooks are wired, so the request id is set here.
  void reply.header('x-request-id', request.id);
  void reply.code(404).send({ errors: [{ message: 'Not found' }] });
}

function clientErrorStatus(code: string | undefined): [number, string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'Request timed out'];
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'Request headers are too large'];
  return [400, 'Malformed HTTP request'];
}

/**
 * Requests Node's HTTP parser refuses (a raw non-ASCII byte in the path, broken
 * framing, oversized headers): answered in the one error shape, then closed,
 * as Node itself would.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = clientErrorStatus(error.code);
  const body = JSON.stringify({ errors: [{ message }] });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

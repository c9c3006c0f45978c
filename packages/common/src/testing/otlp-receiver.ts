import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeTraceExport, type ReceivedSpan } from './otlp-protobuf.js';

export type { ReceivedSpan } from './otlp-protobuf.js';

/** An in-process OTLP/HTTP trace receiver: `endpoint` is what OTEL_EXPORTER_OTLP_ENDPOINT takes. */
export interface OtlpReceiver {
  endpoint: string;
  spans(): ReceivedSpan[];
  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[];
  /** How many spans each export request carried, in arrival order. */
  exportSizes(): number[];
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
      }[];
    }[];
  }[];
}

/** OTLP JSON carries ids as hex; accept base64 (the protobuf JSON mapping) as well. */
function hexId(value: string | undefined, length: number): string {
  if (!value) return '';
  if (new RegExp(`^[0-9a-f]{${length}}$`).test(value)) return value;
  return Buffer.from(value, 'base64').toString('hex');
}

/** Starts a receiver on a spare local port; it answers every export with 200. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const sizes: number[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') {
        const before = received.length;
        try {
          if (request.headers['content-type'] === 'application/x-protobuf') {
            received.push(...decodeTraceExport(Buffer.concat(chunks)));
            sizes.push(received.length - before);
            response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
            return;
          }
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
          for (const resourceSpans of body.resourceSpans ?? []) {
            const service =
              resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value
                .stringValue ?? '';
            for (const scope of resourceSpans.scopeSpans ?? []) {
              for (const span of scope.spans ?? []) {
                received.push({
                  traceId: hexId(span.traceId, 32),
                  spanId: hexId(span.spanId, 16),
                  parentSpanId: hexId(span.parentSpanId, 16),
                  name: span.name,
                  kind: span.kind,
                  service,
                });
              }
            }
          }
          sizes.push(received.length - before);
        } catch {
          response.writeHead(400).end();
          return;
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => [...received],
    trace: (traceId) => received.filter((span) => span.traceId === traceId),
    exportSizes: () => [...sizes],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

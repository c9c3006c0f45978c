import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Where the traced copy exports to: an OTLP/HTTP endpoint that reads each export
 * and answers 200 without parsing it, so the benchmark's own process (which also
 * drives the load) spends next to nothing on spans. In production the collector runs
 * elsewhere; what is measured is what tracing costs the services.
 */
export async function startOtlpSink() {
  let exports = 0;
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    request.on('end', () => {
      if (request.url === '/v1/traces') exports++;
      // An empty ExportTraceServiceResponse, in the encoding the export came in.
      const protobuf = request.headers['content-type'] === 'application/x-protobuf';
      response
        .writeHead(200, {
          'content-type': protobuf ? 'application/x-protobuf' : 'application/json',
        })
        .end(protobuf ? '' : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received: () => ({ exports, bytes }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

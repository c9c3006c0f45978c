import type { FastifyBaseLogger } from 'fastify';
import {
  isOpenApiDocument,
  mergeOpenApi,
  type OpenApiDocument,
  type ServiceDocument,
} from './merge-openapi.js';

export interface DocumentSource {
  service: string;
  url: string;
}

async function fetchDocument(url: string, timeoutMs: number): Promise<OpenApiDocument> {
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`answered ${response.status}`);
  const document: unknown = await response.json();
  if (!isOpenApiDocument(document)) throw new Error('answered something that is not OpenAPI 3');
  return document;
}

export interface MergedDocs {
  document: OpenApiDocument;
  /** Services whose document could not be fetched (left out of `document`). */
  unavailable: string[];
}

/** Fetches every service's document in parallel and merges those that answered. */
export async function loadMergedDocs(
  sources: DocumentSource[],
  timeoutMs: number,
  logger: FastifyBaseLogger,
): Promise<MergedDocs> {
  const results = await Promise.allSettled(
    sources.map((source) => fetchDocument(source.url, timeoutMs)),
  );
  const documents: ServiceDocument[] = [];
  const unavailable: string[] = [];
  results.forEach((result, i) => {
    const { service, url } = sources[i]!;
    if (result.status === 'fulfilled') documents.push({ service, document: result.value });
    else {
      unavailable.push(service);
      logger.warn({ err: result.reason, url }, `${service} API document unavailable`);
    }
  });
  return { document: mergeOpenApi(documents, unavailable), unavailable };
}

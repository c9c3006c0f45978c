import type { FastifyInstance } from 'fastify';
import { errorCodes } from 'fastify';
import { parse } from 'secure-json-parse';
import { BadRequestError } from '../errors.js';

/** What secure-json-parse throws for a `__proto__` or `constructor.prototype` key. */
const FORBIDDEN_KEY = 'Object contains forbidden prototype property';

export const FORBIDDEN_KEY_MESSAGE =
  'Request body must not contain a "__proto__" or "constructor.prototype" key';

/**
 * JSON bodies parsed as Fastify's own parser does (secure-json-parse, refusing
 * prototype-poisoning keys), but saying why a body was refused: Fastify's parser
 * answers "not valid JSON" for valid JSON that carries a `__proto__` key.
 */
export function parseJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      // A route that takes no body (DELETE /api/orders/:id, POST /api/payouts) is
      // sent one labelled JSON by many clients (`curl -H 'Content-Type:
      // application/json' -X DELETE`): nothing to parse there, nothing wrong.
      if (request.routeOptions.schema?.body === undefined) done(null, undefined);
      else done(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), undefined);
      return;
    }
    try {
      done(null, parse(text, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      done(
        error instanceof SyntaxError && error.message === FORBIDDEN_KEY
          ? new BadRequestError(FORBIDDEN_KEY_MESSAGE)
          : new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(),
        undefined,
      );
    }
  });
}

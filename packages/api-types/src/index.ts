/**
 * Names for the API's shapes, all read from `openapi.generated.ts`: the types
 * `openapi-typescript` makes of the gateway's merged OpenAPI document, which the
 * services derive from their zod route schemas. Types only; nothing here runs.
 * Regenerate with `npm run api:types` (e2e/api/contract.test.ts checks it is current).
 */
import type { paths } from './openapi.generated.js';

export type { paths } from './openapi.generated.js';

type Method = 'get' | 'put' | 'post' | 'delete';

/** The JSON body an operation answers with `status`. */
export type ResponseBody<
  Path extends keyof paths,
  M extends Method,
  Status extends number,
> = paths[Path][M] extends {
  responses: { [S in Status]: { content: { 'application/json': infer Body } } };
}
  ? Body
  : never;

/** The JSON body an operation takes. */
export type RequestBody<Path extends keyof paths, M extends Method> = paths[Path][M] extends {
  requestBody?: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;

/** `{ errors: [{ message, field? }] }`, the one error shape of every service. */
export type ApiError = ResponseBody<'/api/tickets/{id}', 'get', 404>;
export type ApiErrorItem = ApiError['errors'][number];

export type Credentials = RequestBody<'/api/users/signin', 'post'>;
export type User = ResponseBody<'/api/users/signin', 'post', 200>;
export type CurrentUser = NonNullable<
  ResponseBody<'/api/users/currentuser', 'get', 200>['currentUser']
>;

export type Ticket = ResponseBody<'/api/tickets/{id}', 'get', 200>;
export type TicketInput = RequestBody<'/api/tickets', 'post'>;

export type Order = ResponseBody<'/api/orders/{id}', 'get', 200>;
export type OrderStatus = Order['status'];

export type Payment = ResponseBody<'/api/payments', 'post', 201>;
export type PaymentRequest = RequestBody<'/api/payments', 'post'>;
export type Receipt = ResponseBody<'/api/payments', 'get', 200>[number];

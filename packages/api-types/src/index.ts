/**
 * Names for the API's shapes, all read from `openapi.generated.ts`: the types
 * `openapi-typescript` makes of the gateway's merged OpenAPI document, which the
 * services derive from their zod route schemas. Types only; nothing here runs.
 * Regenerate with `npm run api:types` (e2e/api/contract.test.ts checks it is current).
 */
import type { paths } from './openapi.generated.js';

/** The JSON body an operation answers with `status`. */
type ResponseBody<
  Path extends keyof paths,
  Method extends 'get' | 'put' | 'post' | 'delete',
  Status extends number,
> = paths[Path][Method] extends {
  responses: { [S in Status]: { content: { 'application/json': infer Body } } };
}
  ? Body
  : never;

/** One entry of `{ errors: [{ message, field? }] }`, the one error shape of every service. */
export type ApiErrorItem = ResponseBody<'/api/tickets/{id}', 'get', 404>['errors'][number];

export type CurrentUser = NonNullable<
  ResponseBody<'/api/users/currentuser', 'get', 200>['currentUser']
>;

export type Ticket = ResponseBody<'/api/tickets/{id}', 'get', 200>;
export type TicketStatus = Ticket['status'];
/** A ticket the caller bought (`/api/tickets/purchased`): a Ticket and `refundedAt`. */
export type PurchasedTicket = ResponseBody<'/api/tickets/purchased', 'get', 200>[number];
export type TicketSort = NonNullable<
  NonNullable<paths['/api/tickets']['get']['parameters']['query']>['sort']
>;

/** An event of the catalogue (named apart from the DOM's `Event`). */
export type CatalogueEvent = ResponseBody<'/api/events/{id}', 'get', 200>;

export type Order = ResponseBody<'/api/orders/{id}', 'get', 200>;
export type OrderStatus = Order['status'];

export type Payment = ResponseBody<'/api/payments', 'post', 201>;

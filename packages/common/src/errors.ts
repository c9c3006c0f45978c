/** One entry of the API's error body: `{ errors: [{ message, field? }] }`. */
export interface ErrorItem {
  message: string;
  field?: string;
}

/** An error that knows its HTTP status and how it reads to a client. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly errors: ErrorItem[],
  ) {
    super(errors.map((e) => e.message).join('; '));
    this.name = new.target.name;
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, field?: string) {
    super(400, [field ? { message, field } : { message }]);
  }
}

export class NotAuthorizedError extends HttpError {
  constructor(message = 'Not signed in') {
    super(401, [{ message }]);
  }
}

export class PaymentRequiredError extends HttpError {
  constructor(message = 'Payment declined') {
    super(402, [{ message }]);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message = 'Not allowed') {
    super(403, [{ message }]);
  }
}

export class NotFoundError extends HttpError {
  constructor(message = 'Not found') {
    super(404, [{ message }]);
  }
}

/** The request is fine but the state it meets refuses it (e.g. no payout account yet). */
export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, [{ message }]);
  }
}

export class TooManyRequestsError extends HttpError {
  constructor(message = 'Too many requests, try again later') {
    super(429, [{ message }]);
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(message = 'Service unavailable, try again later') {
    super(503, [{ message }]);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(message = 'Request body is too large') {
    super(413, [{ message }]);
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string) {
    super(415, [{ message }]);
  }
}

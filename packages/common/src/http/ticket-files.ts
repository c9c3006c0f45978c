/**
 * The largest ticket file (`PUT /api/tickets/:id/file`): 2 MiB. The gateway lets
 * bodies this large through on that route only and refuses larger ones up front;
 * the tickets service counts the bytes itself for bodies without a length.
 */
export const TICKET_FILE_MAX_BYTES = 2 * 1024 * 1024;

/** The ticket file route, as the gateway matches it: `/api/tickets/<id>/file`. */
export const TICKET_FILE_PATH = /^\/api\/tickets\/[^/?#]+\/file\/?(?:[?#].*)?$/;

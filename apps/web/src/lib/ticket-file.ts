import { type ApiResult, sendFile, TICKET_FILE_MAX_BYTES, TICKET_FILE_TYPES } from './api-client';

/** The chosen ticket file's problem, if the API would refuse it anyway. */
export function ticketFileProblem(file: File): string | undefined {
  if (!(TICKET_FILE_TYPES as readonly string[]).includes(file.type)) {
    return 'Choose a PDF, PNG or JPEG file';
  }
  if (file.size > TICKET_FILE_MAX_BYTES) return 'The ticket file must be at most 2 MB';
  if (file.size === 0) return 'The ticket file is empty';
  return undefined;
}

/** The file chosen in a form's `file` input, if any. */
export function chosenTicketFile(form: HTMLFormElement): File | undefined {
  const input = form.elements.namedItem('file');
  return input instanceof HTMLInputElement ? (input.files?.[0] ?? undefined) : undefined;
}

/** Attaches (or replaces) the seller's ticket file: PUT /api/tickets/:id/file. */
export function uploadTicketFile(ticketId: string, file: File): Promise<ApiResult<null>> {
  return sendFile(`/api/tickets/${encodeURIComponent(ticketId)}/file`, file);
}

import { Field } from './Field';

/** The `Ticket file` input of both the listing form and the attach-file form. */
export function TicketFileField({
  hasFile,
  error,
}: {
  hasFile: boolean | undefined;
  error: string | undefined;
}) {
  return (
    <Field
      id="file"
      name="file"
      label="Ticket file"
      type="file"
      accept="application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg"
      hint={
        hasFile
          ? 'A file is attached. Choose another to replace it (PDF, PNG or JPEG, up to 2 MB).'
          : 'The e-ticket your buyer downloads once paid: PDF, PNG or JPEG, up to 2 MB. You can add it later.'
      }
      error={error}
    />
  );
}

import { Field } from './Field';

const KINDS = 'PDF, PNG or JPEG, up to 2 MB';

/** Who is waiting for the file: nobody yet (a listing), a buyer holding it, or one who paid. */
export type FileBuyer = 'none' | 'holding' | 'paid';

const NO_FILE_HINT: Record<FileBuyer, string> = {
  none: `The e-ticket your buyer downloads once paid: ${KINDS}. You can add it later.`,
  holding: `The e-ticket your buyer downloads once they have paid: ${KINDS}.`,
  paid: `The e-ticket your buyer downloads: ${KINDS}. Your buyer is waiting for it.`,
};

/** The `Ticket file` input of both the listing form and the attach-file form. */
export function TicketFileField({
  hasFile,
  buyer = 'none',
  error,
}: {
  hasFile: boolean | undefined;
  buyer?: FileBuyer;
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
          ? `A file is attached. Choose another to replace it (${KINDS}).`
          : NO_FILE_HINT[buyer]
      }
      error={error}
    />
  );
}

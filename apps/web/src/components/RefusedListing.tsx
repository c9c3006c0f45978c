import Link from 'next/link';
import { FormAlert } from './FormAlert';

/** A listing whose URL the API refused: why, and a link to the listing's first page. */
export function RefusedListing({
  messages,
  firstPage,
}: {
  messages: readonly string[];
  firstPage: string;
}) {
  return (
    <div className="card empty-state">
      <FormAlert
        messages={messages}
        action={<Link href={firstPage}>Start again from the first page</Link>}
      />
    </div>
  );
}

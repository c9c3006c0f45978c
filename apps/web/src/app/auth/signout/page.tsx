import type { Metadata } from 'next';
import { SignOut } from '../../../components/SignOut';

export const metadata: Metadata = { title: 'Signing out' };

export default function SignOutPage() {
  return (
    <section className="narrow card" aria-live="polite">
      <h1>Signing you out…</h1>
      <SignOut />
    </section>
  );
}

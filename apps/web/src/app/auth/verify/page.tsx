import type { Metadata } from 'next';
import Link from 'next/link';
import { VerifyEmail } from '../../../components/VerifyEmail';

export const metadata: Metadata = { title: 'Verify email' };

interface VerifyProps {
  searchParams: Promise<{ token?: string | string[] }>;
}

export default async function VerifyEmailPage({ searchParams }: VerifyProps) {
  const raw = (await searchParams).token;
  const token = (Array.isArray(raw) ? raw[0] : raw) ?? '';
  return (
    <section className="narrow card" aria-labelledby="verify-title" aria-live="polite">
      <h1 id="verify-title">Verify your email</h1>
      {token ? (
        <VerifyEmail token={token} />
      ) : (
        <p className="notice notice-error">
          This link has no token. Ask for a new one on your <Link href="/account">account</Link>{' '}
          page.
        </p>
      )}
    </section>
  );
}

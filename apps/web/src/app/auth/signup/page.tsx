import type { Metadata } from 'next';
import Link from 'next/link';
import { AuthForm } from '../../../components/AuthForm';
import { SignedInNotice } from '../../../components/SignedInNotice';
import { getCurrentUser } from '../../../lib/gateway';
import { safeNextPath } from '../../../lib/next-path';

export const metadata: Metadata = { title: 'Sign up' };

interface SignUpProps {
  searchParams: Promise<{ next?: string | string[] }>;
}

export default async function SignUpPage({ searchParams }: SignUpProps) {
  const next = safeNextPath((await searchParams).next);
  // Unknown while auth is unreachable: then no notice, as for a visitor.
  const user = await getCurrentUser().catch(() => null);
  const signInHref =
    next === '/' ? '/auth/signin' : `/auth/signin?next=${encodeURIComponent(next)}`;
  return (
    <section className="narrow card" aria-labelledby="signup-title">
      <h1 id="signup-title">Create your account</h1>
      {user && <SignedInNotice email={user.email} next={next} otherwise="create another account" />}
      <p className="muted">Buy from fans, or sell the tickets you can't use.</p>
      <AuthForm mode="signup" next={next} />
      <p className="form-footer">
        Already have an account? <Link href={signInHref}>Sign in instead</Link>
      </p>
    </section>
  );
}

import type { Metadata } from 'next';
import Link from 'next/link';
import { AuthForm } from '../../../components/AuthForm';
import { SignedInNotice } from '../../../components/SignedInNotice';
import { getCurrentUser } from '../../../lib/gateway';
import { safeNextPath } from '../../../lib/next-path';

export const metadata: Metadata = { title: 'Sign in' };

interface SignInProps {
  searchParams: Promise<{ next?: string | string[] }>;
}

export default async function SignInPage({ searchParams }: SignInProps) {
  const next = safeNextPath((await searchParams).next);
  // Unknown while auth is unreachable: then no notice, as for a visitor.
  const user = await getCurrentUser().catch(() => null);
  const signUpHref =
    next === '/' ? '/auth/signup' : `/auth/signup?next=${encodeURIComponent(next)}`;
  return (
    <section className="narrow card" aria-labelledby="signin-title">
      <h1 id="signin-title">Welcome back</h1>
      {user && (
        <SignedInNotice email={user.email} next={next} otherwise="sign in with another account" />
      )}
      <p className="muted">Sign in to buy tickets and manage your listings.</p>
      <AuthForm mode="signin" next={next} />
      <p className="form-footer">
        <Link href="/auth/forgot">Forgot password?</Link>
      </p>
      <p className="form-footer">
        New to GitTix? <Link href={signUpHref}>Create an account</Link>
      </p>
    </section>
  );
}

import type { Metadata } from 'next';
import Link from 'next/link';
import { SimpleForm } from '../../../components/SimpleForm';

export const metadata: Metadata = { title: 'Reset password' };

interface ResetProps {
  searchParams: Promise<{ token?: string | string[] }>;
}

export default async function ResetPasswordPage({ searchParams }: ResetProps) {
  const raw = (await searchParams).token;
  const token = (Array.isArray(raw) ? raw[0] : raw) ?? '';
  return (
    <section className="narrow card" aria-labelledby="reset-title">
      <h1 id="reset-title">Reset your password</h1>
      {token ? (
        <>
          <p className="muted">Every device signed in to your account will be signed out.</p>
          <SimpleForm
            method="POST"
            path="/api/users/password/reset"
            fields={[
              {
                name: 'password',
                label: 'New password',
                type: 'password',
                autoComplete: 'new-password',
                hint: 'At least 8 characters.',
              },
            ]}
            extra={{ token }}
            submitLabel="Reset password"
            done={
              <p className="notice notice-success">
                Password reset. <Link href="/auth/signin">Sign in</Link> with your new password.
              </p>
            }
          />
        </>
      ) : (
        <p className="notice notice-error">
          This link has no token. <Link href="/auth/forgot">Ask for a new link</Link>.
        </p>
      )}
    </section>
  );
}

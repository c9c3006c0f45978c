import type { Metadata } from 'next';
import { ResendVerification } from '../../components/ResendVerification';
import { SimpleForm } from '../../components/SimpleForm';
import { requireUser } from '../../lib/gateway';

export const metadata: Metadata = { title: 'Account' };

export default async function AccountPage() {
  const user = await requireUser('/account');
  return (
    <section className="narrow stack" aria-labelledby="account-title">
      <h1 id="account-title">Account</h1>
      <div className="card">
        <h2>Email</h2>
        <p>
          <strong>{user.email}</strong>
        </p>
        {user.emailVerified ? (
          <p className="notice notice-success">Verified</p>
        ) : (
          <>
            <p className="notice notice-warning">
              Not verified yet: follow the link we emailed you. Payouts need a verified email.
            </p>
            <ResendVerification />
          </>
        )}
      </div>
      <div className="card">
        <h2>Change password</h2>
        <p className="muted">Every other device signed in to your account will be signed out.</p>
        <SimpleForm
          method="PUT"
          path="/api/users/password"
          fields={[
            {
              name: 'currentPassword',
              label: 'Current password',
              type: 'password',
              autoComplete: 'current-password',
            },
            {
              name: 'newPassword',
              label: 'New password',
              type: 'password',
              autoComplete: 'new-password',
              hint: 'At least 8 characters.',
            },
          ]}
          submitLabel="Change password"
          keepFormAfterDone
          done={<p className="notice notice-success">Password changed.</p>}
        />
      </div>
    </section>
  );
}

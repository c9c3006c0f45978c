import type { Metadata } from 'next';
import Link from 'next/link';
import { SimpleForm } from '../../../components/SimpleForm';

export const metadata: Metadata = { title: 'Forgot password' };

export default function ForgotPasswordPage() {
  return (
    <section className="narrow card" aria-labelledby="forgot-title">
      <h1 id="forgot-title">Forgot your password?</h1>
      <p className="muted">Enter your email and we'll send you a link to choose a new one.</p>
      <SimpleForm
        method="POST"
        path="/api/users/password/forgot"
        fields={[{ name: 'email', label: 'Email', type: 'email', autoComplete: 'email' }]}
        submitLabel="Send reset link"
        done={
          <p className="notice notice-success">
            If an account uses that email, a reset link is on its way. It works for 30 minutes,
            once.
          </p>
        }
      />
      <p className="form-footer">
        Remembered it? <Link href="/auth/signin">Sign in</Link>
      </p>
    </section>
  );
}

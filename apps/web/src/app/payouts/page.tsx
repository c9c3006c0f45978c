import type { Metadata } from 'next';
import { LocalTime } from '../../components/LocalTime';
import { PayoutAccountPanel, type PayoutAccountStatus } from '../../components/PayoutAccountPanel';
import { RequestPayoutButton } from '../../components/RequestPayoutButton';
import { loadOrRedirect, requireUser } from '../../lib/gateway';
import { formatPrice } from '../../lib/price';
import styles from './payouts.module.css';

/** What each payout's state means to its seller. */
const PAYOUT_STATUS = {
  pending: 'On its way',
  paid: 'Paid',
  cancelled: 'Cancelled: refunds took it back',
} as const;

export const metadata: Metadata = { title: 'Payouts' };

interface Balance {
  pending: number;
  available: number;
  paidOut: number;
}

/** `required` false: payouts need no account (the sandbox). */
interface PayoutAccount {
  required: boolean;
  status: PayoutAccountStatus;
}

interface Payout {
  id: string;
  amount: number;
  status: 'pending' | 'paid' | 'cancelled';
  createdAt: string;
}

export default async function PayoutsPage() {
  await requireUser('/payouts');
  const [balance, payouts, account] = await Promise.all([
    loadOrRedirect<Balance>('/api/payouts/balance', '/payouts'),
    loadOrRedirect<Payout[]>('/api/payouts', '/payouts'),
    loadOrRedirect<PayoutAccount>('/api/payouts/account', '/payouts'),
  ]);
  const canPayOut = !account.required || account.status === 'enabled';

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Payouts</h1>
          <p className="muted">
            What your sales earned, after the GitTix fee. Proceeds are pending until the ticket's
            event starts.
          </p>
        </div>
      </div>
      <dl className={styles.balance}>
        <div className="card">
          <dt>Pending</dt>
          <dd className="price">{formatPrice(balance.pending)}</dd>
        </div>
        <div className="card">
          <dt>Available</dt>
          <dd className="price">{formatPrice(balance.available)}</dd>
        </div>
        <div className="card">
          <dt>Paid out</dt>
          <dd className="price">{formatPrice(balance.paidOut)}</dd>
        </div>
      </dl>
      <div className={styles.actions}>
        {account.required && (
          <section className="card" aria-label="Payout account">
            <PayoutAccountPanel status={account.status} />
          </section>
        )}
        <section className="card" aria-label="Request a payout">
          <RequestPayoutButton available={balance.available} blocked={!canPayOut} />
        </section>
      </div>
      <h2>Past payouts</h2>
      {payouts.length === 0 ? (
        <p className="muted">No payouts yet.</p>
      ) : (
        <ul className={styles.history}>
          {payouts.map((payout) => (
            <li key={payout.id} className="card">
              <span className="price">{formatPrice(payout.amount)}</span>
              <LocalTime className="muted" iso={payout.createdAt} />
              <span>{PAYOUT_STATUS[payout.status]}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

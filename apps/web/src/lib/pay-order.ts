import type { Payment } from '@gittix/api-types';
import { sendJson } from './api-client';

export type PaymentOutcome =
  | { ok: true; payment: Payment }
  | { ok: false; declined: boolean; message: string; signedOut: boolean };

/** POST /api/payments with a card token; a 402 is the card being declined. */
export async function payOrder(orderId: string, token: string): Promise<PaymentOutcome> {
  const result = await sendJson<Payment>('POST', '/api/payments', { orderId, token });
  if (result.ok) return { ok: true, payment: result.data };
  if (result.status === 402) {
    return {
      ok: false,
      declined: true,
      signedOut: false,
      message: 'Your card was declined. Nothing was charged; try a different card.',
    };
  }
  return {
    ok: false,
    declined: false,
    signedOut: result.status === 401,
    message: result.errors.map((e) => e.message).join(' '),
  };
}

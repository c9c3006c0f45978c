import type { Payment } from '@gittix/api-types';
import { type SendOptions, sendJson } from './api-client';

export type PaymentOutcome =
  | { ok: true; payment: Payment }
  | { ok: false; declined: boolean; message: string; signedOut: boolean };

/**
 * POST /api/payments with a card token; a 402 is the card being declined.
 * `onBusy` is told of each wait while GitTix refuses as busy and retries (null once over).
 */
export async function payOrder(
  orderId: string,
  token: string,
  options: SendOptions = {},
): Promise<PaymentOutcome> {
  const result = await sendJson<Payment>('POST', '/api/payments', { orderId, token }, options);
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

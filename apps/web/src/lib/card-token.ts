export const TEST_CARDS = {
  succeeds: '4242 4242 4242 4242',
  declined: '4000 0000 0000 0002',
} as const;

// The sandbox payments provider accepts Stripe's test tokens for these test card numbers.
const TOKEN_BY_CARD: Record<string, string> = {
  '4242424242424242': 'tok_visa',
  '4000000000000002': 'tok_chargeDeclined',
};

export type CardTokenResult = { ok: true; token: string } | { ok: false; message: string };

/** Maps a sandbox test card number (spaces or dashes optional) to its Stripe test token. */
export function sandboxTokenFor(cardNumber: string): CardTokenResult {
  const digits = cardNumber.replace(/[\s-]/g, '');
  if (digits === '') return { ok: false, message: 'Enter a card number' };
  const token = TOKEN_BY_CARD[digits];
  if (token) return { ok: true, token };
  return {
    ok: false,
    message: `This is a test store: use ${TEST_CARDS.succeeds} (succeeds) or ${TEST_CARDS.declined} (is refused)`,
  };
}

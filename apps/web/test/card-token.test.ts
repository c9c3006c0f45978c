import { describe, expect, it } from 'vitest';
import { sandboxTokenFor } from '../src/lib/card-token';

describe('sandboxTokenFor', () => {
  it.each([
    ['4242 4242 4242 4242', 'tok_visa'],
    ['4242424242424242', 'tok_visa'],
    [' 4242-4242-4242-4242 ', 'tok_visa'],
    ['4000 0000 0000 0002', 'tok_chargeDeclined'],
    ['4000000000000002', 'tok_chargeDeclined'],
  ])('when the card is %s, then the token is %s', (card, token) => {
    expect(sandboxTokenFor(card)).toEqual({ ok: true, token });
  });

  it('when the field is empty, then it asks for a number', () => {
    expect(sandboxTokenFor('  ')).toEqual({ ok: false, message: 'Enter a card number' });
  });

  it.each(['1234 5678 9012 3456', '4242 4242 4242 424', '5555555555554444'])(
    'when the card is %s, then it names the test cards instead of sending anything',
    (card) => {
      const result = sandboxTokenFor(card);
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.message).toContain('4242 4242 4242 4242');
    },
  );
});

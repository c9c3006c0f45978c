import { describe, expect, it } from 'vitest';
import { html } from '../src/emails/html.js';
import { type EmailKind, type ParamsOf, render, templates } from '../src/emails/templates.js';

const site = { publicUrl: 'https://gittix.test' };
const orderId = '6f1c1b1e-8d1b-4a57-9d5e-2b1f3c4d5e6f';
const ticketId = '0b7c6a5e-1f2d-4c3b-8a9e-7d6c5b4a3f2e';
const HOSTILE = `<script>alert("x")</script> & 'quotes'`;

/** Every href of the HTML body, unescaped as a mail client would follow it. */
const hrefs = (markup: string) =>
  [...markup.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));

describe('the email templates', () => {
  const cases: { [K in EmailKind]: { params: ParamsOf<K>; subject: RegExp; links: string[] } } = {
    verify_email: {
      params: { token: 'tok-verify-0123456789' },
      subject: /^Verify your email$/,
      links: ['https://gittix.test/auth/verify?token=tok-verify-0123456789'],
    },
    reset_password: {
      params: { token: 'tok-reset-0123456789' },
      subject: /^Reset your password$/,
      links: ['https://gittix.test/auth/reset?token=tok-reset-0123456789'],
    },
    hold_placed: {
      params: { orderId, title: 'Opera', price: 40, expiresAt: '2030-05-01T18:30:00.000Z' },
      subject: /^Your ticket is on hold: pay by 1 May 2030, 18:30 UTC$/,
      links: [`https://gittix.test/orders/${orderId}`],
    },
    receipt: {
      params: { orderId, title: 'Opera', amount: 40, file: 'attached' },
      subject: /^Your ticket: Opera$/,
      links: [`https://gittix.test/orders/${orderId}`, 'https://gittix.test/tickets/purchased'],
    },
    ticket_ready: {
      params: { orderId, title: 'Opera', replaced: false },
      subject: /^Your ticket is ready to download: Opera$/,
      links: ['https://gittix.test/tickets/purchased', `https://gittix.test/orders/${orderId}`],
    },
    sold: {
      params: { title: 'Opera', amount: 40, fee: 4 },
      subject: /^Sold: Opera$/,
      links: ['https://gittix.test/payouts'],
    },
    hold_expired: {
      params: { title: 'Opera', ticketId },
      subject: /^Your hold has expired: Opera$/,
      links: [`https://gittix.test/tickets/${ticketId}`],
    },
    payout: {
      params: { amount: 1234.5 },
      subject: /^Payout of \$1,234\.50 sent$/,
      links: ['https://gittix.test/payouts'],
    },
    refunded: {
      params: { orderId, title: 'Opera', amount: 40 },
      subject: /^Your payment for Opera was refunded$/,
      links: [`https://gittix.test/orders/${orderId}`],
    },
    partly_refunded: {
      params: { orderId, title: 'Opera', amount: 10, refunded: 15, by: 'refund' },
      subject: /^Part of your payment for Opera was refunded$/,
      links: [`https://gittix.test/orders/${orderId}`],
    },
    proceeds_cut: {
      params: { title: 'Opera', amount: 10, sellerAmount: 9, by: 'refund' },
      subject: /^Part of your sale of Opera was given back$/,
      links: ['https://gittix.test/payouts'],
    },
  };

  it('when the templates are listed, then each has a case here', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(templates).sort());
  });

  it.each(Object.entries(cases))(
    'when %s is rendered, then the subject, both bodies and the links say the same',
    (kind, { params, subject, links }) => {
      const email = render(site, kind as EmailKind, params as never);
      expect(email.subject).toMatch(subject);
      expect(hrefs(email.html)).toEqual(links);
      for (const link of links) expect(email.text).toContain(link);
      expect(email.html).toContain(`<title>${email.subject}</title>`);
      expect(email.text).not.toMatch(/<\w/);
      expect(email.text).toContain('GitTix');
    },
  );

  it('when a hold is placed, then both bodies give the price and the time to pay by', () => {
    const email = render(site, 'hold_placed', cases.hold_placed.params);
    for (const body of [email.text, email.html]) {
      expect(body).toContain('$40.00');
      expect(body).toContain('1 May 2030, 18:30 UTC');
    }
  });

  it('when a ticket sells, then the seller reads the proceeds: amount less fee, exact to the cent', () => {
    const email = render(site, 'sold', { title: 'Opera', amount: 0.3, fee: 0.1 });
    expect(email.text).toContain('Your proceeds: $0.20');
    expect(email.html).toContain('$0.20');
  });

  it('when the ticket file is still to come, then the receipt has no download link and says it will follow', () => {
    const awaited = render(site, 'receipt', {
      orderId,
      title: 'Opera',
      amount: 40,
      file: 'awaited',
    });
    expect(hrefs(awaited.html)).toEqual([`https://gittix.test/orders/${orderId}`]);
    expect(awaited.text).not.toContain('/tickets/purchased');
    expect(awaited.text).toContain('We will email you as soon as they do');
    const attached = render(site, 'receipt', {
      orderId,
      title: 'Opera',
      amount: 40,
      file: 'attached',
    });
    expect(attached.text).toContain('Download your ticket: https://gittix.test/tickets/purchased');
  });

  it('when a bought ticket file is replaced, then the buyer is told to download the new one', () => {
    const email = render(site, 'ticket_ready', { orderId, title: 'Opera', replaced: true });
    expect(email.subject).toBe('Your ticket was replaced: Opera');
    expect(email.text).toContain('may no longer be valid');
    expect(hrefs(email.html)[0]).toBe('https://gittix.test/tickets/purchased');
    expect(render(site, 'ticket_ready', { orderId, title: null, replaced: false }).subject).toBe(
      'Your ticket is ready to download',
    );
  });

  it("when a payment is refunded, then both bodies give the amount and say the ticket cannot be downloaded, true of a refunded sale and of a cancelled order's refund alike", () => {
    const email = render(site, 'refunded', { orderId, title: 'Opera', amount: 40 });
    for (const body of [email.text, email.html]) {
      expect(body).toContain('$40.00');
      expect(body).toContain('The ticket is not yours, so it cannot be downloaded.');
    }
    expect(email.text).not.toContain('/tickets/purchased');
    expect(render(site, 'refunded', { orderId, title: null, amount: 40 }).subject).toBe(
      'Your payment was refunded',
    );
  });

  it('when part of a payment is given back, then the buyer is told how much, in all, and that the ticket is still theirs; the seller what came off their proceeds', () => {
    const refund = render(site, 'partly_refunded', {
      orderId,
      title: 'Opera',
      amount: 10,
      refunded: 15,
      by: 'refund',
    });
    for (const body of [refund.text, refund.html]) {
      expect(body).toContain('$10.00');
      expect(body).toContain('$15.00');
      expect(body).toContain('The ticket is still yours.');
    }
    const chargeback = render(site, 'partly_refunded', {
      orderId,
      title: null,
      amount: 10,
      refunded: 10,
      by: 'chargeback',
    });
    expect(chargeback.subject).toBe('Part of your payment was returned by your card issuer');
    expect(chargeback.text).toContain('card issuer decided the dispute of part of your payment');
    const cut = render(site, 'proceeds_cut', {
      title: 'Opera',
      amount: 10,
      sellerAmount: 9,
      by: 'chargeback',
    });
    for (const body of [cut.text, cut.html]) {
      expect(body).toContain('$10.00');
      expect(body).toContain('$9.00');
      expect(body).toContain('after a dispute');
    }
  });

  it('when someone else may have signed up with the address, then the verification email warns the owner not to open the link and says how to take the address back', () => {
    const email = render(site, 'verify_email', { token: 'tok-verify-0123456789' });
    for (const body of [email.text, email.html]) {
      expect(body).toContain('do not open the link');
      expect(body).toContain('Forgot password?');
    }
  });

  it('when the title is not known yet, then the emails read well without it', () => {
    expect(
      render(site, 'receipt', { orderId, title: null, amount: 5, file: 'unknown' }).subject,
    ).toBe('Your ticket receipt');
    expect(render(site, 'sold', { title: null, amount: 5, fee: 1 }).subject).toMatch(/^Sold/);
    const expired = render(site, 'hold_expired', { title: null, ticketId: null });
    expect(expired.subject).toBe('Your hold has expired');
    expect(hrefs(expired.html)).toEqual(['https://gittix.test/']);
  });

  it('when a ticket title holds markup, then the HTML shows it as text and the text body as written', () => {
    const email = render(site, 'receipt', { orderId, title: HOSTILE, amount: 5, file: 'attached' });
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;',
    );
    expect(email.text).toContain(HOSTILE);
    expect(email.subject).toBe(`Your ticket: ${HOSTILE}`);
  });

  it('when a ticket title holds line breaks, then no subject or body line is faked', () => {
    const title = 'Opera\r\nBcc: victim@example.com\n\nClick https://evil.example';
    const email = render(site, 'sold', { title, amount: 5, fee: 1 });
    expect(email.subject).toBe('Sold: Opera Bcc: victim@example.com Click https://evil.example');
    expect(email.text).not.toMatch(/^Bcc:/m);
    expect(email.text).not.toMatch(/^Click/m);
  });

  it('when a ticket title holds direction overrides, then they cannot reorder the text after it', () => {
    // U+202E (right-to-left override) would show "pay by …" and the amounts after it backwards.
    const title = 'Gig \u202Eevif\u2066 \u2067x\u2068y\u2069\u202A\u202B\u202C\u202D';
    const hold = render(site, 'hold_placed', {
      orderId,
      title,
      price: 5,
      expiresAt: '2026-12-02T08:19:00.000Z',
    });
    const sold = render(site, 'sold', { title, amount: 5, fee: 1 });
    for (const part of [hold.subject, hold.text, hold.html, sold.subject, sold.text, sold.html]) {
      expect(part).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    }
    expect(sold.subject).toBe('Sold: Gig evif xy');
  });

  it('when a token holds characters a URL reserves, then the link carries it encoded', () => {
    const email = render(site, 'reset_password', { token: 'a&b=c d"<e>/?#0123456789' });
    const [link] = hrefs(email.html);
    expect(new URL(link!).searchParams.get('token')).toBe('a&b=c d"<e>/?#0123456789');
    expect(email.html).not.toContain('"<e>');
  });

  it('when markup is built with the html tag, then values are escaped and fragments kept', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${[inner, inner]}${7}</p>`.markup).toBe(
      '<p><b>&lt;i&gt;</b><b>&lt;i&gt;</b><b>&lt;i&gt;</b>7</p>',
    );
  });
});

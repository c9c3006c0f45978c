import { formatDollars, formatTime, oneLine } from './format.js';
import { type EmailContent, type RenderedEmail, renderEmail } from './render.js';

/** Where links lead: PUBLIC_URL, without a trailing slash. */
export interface Site {
  publicUrl: string;
}

const link = (site: Site, path: string, query?: Record<string, string>) =>
  `${site.publicUrl}${path}${query ? `?${new URLSearchParams(query)}` : ''}`;

/** A ticket's title for a sentence, or a stand-in when the events have not told it yet. */
const titleOr = (title: string | null, fallback: string) => (title ? oneLine(title) : fallback);

export interface TokenParams {
  token: string;
}

export function verifyEmail(site: Site, { token }: TokenParams): EmailContent {
  return {
    subject: 'Verify your email',
    heading: 'Verify your email',
    paragraphs: [
      'Someone signed up for GitTix with this address. If it was you, please confirm that the address is yours: sellers need a verified email to be paid out.',
    ],
    action: { label: 'Verify email', url: link(site, '/auth/verify', { token }) },
    footnote:
      'If it was not you, do not open the link: someone else chose the password, and verifying would vouch for their account. Ignore this email; to take the address back, use "Forgot password?" on the sign-in page, which signs everyone else out.',
  };
}

export function resetPassword(site: Site, { token }: TokenParams): EmailContent {
  return {
    subject: 'Reset your password',
    heading: 'Reset your password',
    paragraphs: [
      'Someone asked to reset the password of your GitTix account. The link works once, within 30 minutes, and signs out every other session.',
    ],
    action: { label: 'Choose a new password', url: link(site, '/auth/reset', { token }) },
    footnote: 'If it was not you, ignore this email: your password stays as it is.',
  };
}

export interface HoldParams {
  orderId: string;
  title: string | null;
  price: number;
  expiresAt: string;
}

export function holdPlaced(site: Site, hold: HoldParams): EmailContent {
  const payBy = formatTime(hold.expiresAt);
  return {
    subject: `Your ticket is on hold: pay by ${payBy}`,
    heading: 'Your ticket is on hold',
    paragraphs: [
      `We are holding ${titleOr(hold.title, 'your ticket')} for you. Pay by ${payBy} to make it yours; after that it goes back on sale.`,
    ],
    facts: [
      ['Ticket', titleOr(hold.title, '—')],
      ['Price', formatDollars(hold.price)],
      ['Pay by', payBy],
    ],
    action: { label: 'Pay now', url: link(site, `/orders/${hold.orderId}`) },
  };
}

/**
 * Whether the ticket's file can be downloaded yet: `attached`, `awaited` (the
 * buyer is emailed when it comes), or `unknown` (an older event that does not
 * name the ticket).
 */
export type TicketFileState = 'attached' | 'awaited' | 'unknown';

export interface ReceiptParams {
  orderId: string;
  title: string | null;
  amount: number;
  file: TicketFileState;
}

const receiptDownload: Record<TicketFileState, string> = {
  attached: 'Your ticket is ready: download it from your purchased tickets.',
  awaited:
    'The seller has not attached the ticket itself yet. We will email you as soon as they do; you can then download it from your purchased tickets.',
  unknown:
    'Once the seller has attached the ticket itself, you can download it from your purchased tickets.',
};

export function receipt(site: Site, paid: ReceiptParams): EmailContent {
  return {
    subject: paid.title ? `Your ticket: ${oneLine(paid.title)}` : 'Your ticket receipt',
    heading: 'Your ticket is paid for',
    paragraphs: [
      'Thank you for your purchase. This email is your receipt.',
      receiptDownload[paid.file],
    ],
    facts: [
      ['Ticket', titleOr(paid.title, '—')],
      ['Paid', formatDollars(paid.amount)],
      ['Order', paid.orderId],
    ],
    action: { label: 'View your order', url: link(site, `/orders/${paid.orderId}`) },
    ...(paid.file === 'awaited'
      ? {}
      : { links: [{ label: 'Download your ticket', url: link(site, '/tickets/purchased') }] }),
  };
}

export interface TicketReadyParams {
  orderId: string;
  title: string | null;
  /** The seller replaced a file the buyer could already download. */
  replaced: boolean;
}

/** A bought ticket's file arrived (or changed) after the receipt went out. */
export function ticketReady(site: Site, ready: TicketReadyParams): EmailContent {
  const name = titleOr(ready.title, 'your ticket');
  const titled = (subject: string) =>
    ready.title ? `${subject}: ${oneLine(ready.title)}` : subject;
  return {
    subject: ready.replaced
      ? titled('Your ticket was replaced')
      : titled('Your ticket is ready to download'),
    heading: ready.replaced ? 'Your ticket was replaced' : 'Your ticket is ready',
    paragraphs: ready.replaced
      ? [
          `The seller has replaced the file of ${name}. Download the new one: a copy you downloaded before may no longer be valid.`,
        ]
      : [
          `The seller has attached your ticket${ready.title ? ` for ${oneLine(ready.title)}` : ''}. You can download it now.`,
        ],
    facts: [
      ['Ticket', titleOr(ready.title, '—')],
      ['Order', ready.orderId],
    ],
    action: { label: 'Download your ticket', url: link(site, '/tickets/purchased') },
    links: [{ label: 'View your order', url: link(site, `/orders/${ready.orderId}`) }],
  };
}

export interface SoldParams {
  title: string | null;
  amount: number;
  fee: number;
}

/** Proceeds in cents first: `amount − fee` in floating point can drift (0.3 − 0.1). */
const proceedsOf = ({ amount, fee }: SoldParams) =>
  (Math.round(amount * 100) - Math.round(fee * 100)) / 100;

export function sold(site: Site, sale: SoldParams): EmailContent {
  const proceeds = formatDollars(proceedsOf(sale));
  return {
    subject: sale.title ? `Sold: ${oneLine(sale.title)}` : 'Sold: your ticket found a buyer',
    heading: 'You sold a ticket',
    paragraphs: [
      `${titleOr(sale.title, 'Your ticket')} has been sold and paid for. Your proceeds of ${proceeds} count towards your next payout.`,
    ],
    facts: [
      ['Ticket', titleOr(sale.title, '—')],
      ['Sale price', formatDollars(sale.amount)],
      ['Fee', formatDollars(sale.fee)],
      ['Your proceeds', proceeds],
    ],
    action: { label: 'See your payouts', url: link(site, '/payouts') },
  };
}

export interface ExpiredParams {
  title: string | null;
  ticketId: string | null;
}

export function holdExpired(site: Site, hold: ExpiredParams): EmailContent {
  return {
    subject: hold.title ? `Your hold has expired: ${oneLine(hold.title)}` : 'Your hold has expired',
    heading: 'Your hold has expired',
    paragraphs: [
      `The time to pay for ${titleOr(hold.title, 'your ticket')} ran out, so it went back on sale. You were not charged.`,
    ],
    action: hold.ticketId
      ? { label: 'See the ticket', url: link(site, `/tickets/${hold.ticketId}`) }
      : { label: 'Browse tickets', url: link(site, '/') },
  };
}

export interface PayoutParams {
  amount: number;
}

export function payout(site: Site, { amount }: PayoutParams): EmailContent {
  return {
    subject: `Payout of ${formatDollars(amount)} sent`,
    heading: 'Payout sent',
    paragraphs: [`We have paid out ${formatDollars(amount)} of your ticket sales to you.`],
    action: { label: 'See your payouts', url: link(site, '/payouts') },
  };
}

export interface RefundedParams {
  orderId: string;
  title: string | null;
  amount: number;
  /** A chargeback: the card issuer gave it back, not GitTix (absent in emails queued before it: a refund). */
  by?: 'refund' | 'chargeback';
}

/**
 * The whole payment went back to the buyer (a refund made at the provider, or their
 * chargeback): the ticket is not theirs any more.
 */
export function refunded(site: Site, refund: RefundedParams): EmailContent {
  if (refund.by === 'chargeback') return chargedBack(site, refund);
  return {
    subject: refund.title
      ? `Your payment for ${oneLine(refund.title)} was refunded`
      : 'Your payment was refunded',
    heading: 'Your payment was refunded',
    paragraphs: [
      `We have refunded the ${formatDollars(refund.amount)} you paid for ${titleOr(refund.title, 'your ticket')}. The ticket is not yours, so it cannot be downloaded.`,
      'The refund goes back to the card you paid with; your bank may take a few days to show it.',
    ],
    facts: [
      ['Ticket', titleOr(refund.title, '—')],
      ['Refunded', formatDollars(refund.amount)],
      ['Order', refund.orderId],
    ],
    action: { label: 'View your order', url: link(site, `/orders/${refund.orderId}`) },
  };
}

/** The buyer's dispute stood: their card issuer returned the money, so the ticket went back. */
function chargedBack(site: Site, refund: RefundedParams): EmailContent {
  return {
    subject: refund.title
      ? `Your payment for ${oneLine(refund.title)} was returned by your card issuer`
      : 'Your payment was returned by your card issuer',
    heading: 'Your payment was returned to you',
    paragraphs: [
      `Your card issuer decided the dispute of your payment for ${titleOr(refund.title, 'your ticket')} in your favour and returned the ${formatDollars(refund.amount)} to you. The ticket is not yours, so it cannot be downloaded.`,
      'Nothing more will be refunded by GitTix: the money has already reached your card account.',
    ],
    facts: [
      ['Ticket', titleOr(refund.title, '—')],
      ['Returned', formatDollars(refund.amount)],
      ['Order', refund.orderId],
    ],
    action: { label: 'View your order', url: link(site, `/orders/${refund.orderId}`) },
  };
}

export interface PartlyRefundedParams {
  orderId: string;
  title: string | null;
  /** Given back now, dollars. */
  amount: number;
  /** Given back in all so far, dollars. */
  refunded: number;
  by: 'refund' | 'chargeback';
}

/** Part of the payment went back to the buyer; the sale stands and the ticket is still theirs. */
export function partlyRefunded(site: Site, part: PartlyRefundedParams): EmailContent {
  const what = titleOr(part.title, 'your ticket');
  const chargeback = part.by === 'chargeback';
  return {
    subject: `Part of your payment${part.title ? ` for ${oneLine(part.title)}` : ''} was ${chargeback ? 'returned by your card issuer' : 'refunded'}`,
    heading: chargeback
      ? 'Part of your payment was returned to you'
      : 'Part of your payment was refunded',
    paragraphs: [
      chargeback
        ? `Your card issuer decided the dispute of part of your payment for ${what} in your favour and returned ${formatDollars(part.amount)} to you. The ticket is still yours.`
        : `We have refunded ${formatDollars(part.amount)} of what you paid for ${what}. The ticket is still yours.`,
      chargeback
        ? 'The money has already reached your card account.'
        : 'The refund goes back to the card you paid with; your bank may take a few days to show it.',
    ],
    facts: [
      ['Ticket', titleOr(part.title, '—')],
      [chargeback ? 'Returned' : 'Refunded', formatDollars(part.amount)],
      ['Given back in all', formatDollars(part.refunded)],
      ['Order', part.orderId],
    ],
    action: { label: 'View your order', url: link(site, `/orders/${part.orderId}`) },
  };
}

export interface ProceedsCutParams {
  title: string | null;
  /** Given back to the buyer now, dollars. */
  amount: number;
  /** Taken from the seller's proceeds for it, dollars. */
  sellerAmount: number;
  by: 'refund' | 'chargeback';
}

/** The seller's side of a partial refund or chargeback: their proceeds cut in proportion. */
export function proceedsCut(site: Site, cut: ProceedsCutParams): EmailContent {
  const what = titleOr(cut.title, 'a ticket you sold');
  return {
    subject: cut.title
      ? `Part of your sale of ${oneLine(cut.title)} was given back`
      : 'Part of a sale was given back',
    heading: 'Part of a sale was given back',
    paragraphs: [
      `${cut.by === 'chargeback' ? `The buyer of ${what} was given back ${formatDollars(cut.amount)} of what they paid by their card issuer, after a dispute.` : `We refunded the buyer of ${what} ${formatDollars(cut.amount)} of what they paid.`} The sale stands, and your proceeds are cut by ${formatDollars(cut.sellerAmount)}, the platform's fee by the rest.`,
      'Your balance on the payouts page shows the change; a payout already made is settled from your next one.',
    ],
    facts: [
      ['Ticket', titleOr(cut.title, '—')],
      ['Given back to the buyer', formatDollars(cut.amount)],
      ['Taken from your proceeds', formatDollars(cut.sellerAmount)],
    ],
    action: { label: 'See your payouts', url: link(site, '/payouts') },
  };
}

/** Every email GitTix sends, by the kind recorded with it. */
export const templates = {
  verify_email: verifyEmail,
  reset_password: resetPassword,
  hold_placed: holdPlaced,
  receipt,
  ticket_ready: ticketReady,
  sold,
  hold_expired: holdExpired,
  payout,
  refunded,
  partly_refunded: partlyRefunded,
  proceeds_cut: proceedsCut,
} as const;

export type EmailKind = keyof typeof templates;
export type ParamsOf<K extends EmailKind> = Parameters<(typeof templates)[K]>[1];

/** Kinds whose body holds a secret (a single-use token): their bodies are dropped once sent. */
export const SECRET_KINDS: ReadonlySet<EmailKind> = new Set(['verify_email', 'reset_password']);

export function render<K extends EmailKind>(
  site: Site,
  kind: K,
  params: ParamsOf<K>,
): RenderedEmail {
  const template = templates[kind] as (site: Site, params: ParamsOf<K>) => EmailContent;
  return renderEmail(template(site, params));
}

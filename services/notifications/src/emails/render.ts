import { type Html, html } from './html.js';

export interface Link {
  label: string;
  url: string;
}

/** What an email says, once: `renderEmail` writes it as plain text and as HTML. */
export interface EmailContent {
  subject: string;
  heading: string;
  paragraphs: string[];
  /** Label and value lines, e.g. `Ticket: …`, `Pay by: …`. */
  facts?: Array<[label: string, value: string]>;
  /** The one thing to do next, shown as a button. */
  action: Link;
  /** Further links, after the button. */
  links?: Link[];
  /** A closing line in small print (why the reader got it, what to ignore). */
  footnote?: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const SIGNATURE = 'GitTix, the open ticket-resale marketplace';

function renderText(content: EmailContent): string {
  const blocks = [
    content.heading,
    ...content.paragraphs,
    ...(content.facts?.length
      ? [content.facts.map(([label, value]) => `${label}: ${value}`).join('\n')]
      : []),
    `${content.action.label}: ${content.action.url}`,
    ...(content.links ?? []).map((link) => `${link.label}: ${link.url}`),
    ...(content.footnote ? [content.footnote] : []),
    `-- \n${SIGNATURE}`,
  ];
  return `${blocks.join('\n\n')}\n`;
}

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

function renderFacts(facts: EmailContent['facts']): Html | string {
  if (!facts?.length) return '';
  const rows = facts.map(
    ([label, value]) =>
      html`<tr><td style="padding:4px 16px 4px 0;color:#6b7280">${label}</td><td style="padding:4px 0;font-weight:600">${value}</td></tr>`,
  );
  return html`<table role="presentation" style="margin:16px 0;border-collapse:collapse">${rows}</table>`;
}

/** Table layout with inline styles: what mail clients (Outlook included) render alike. */
function renderHtml(content: EmailContent): string {
  const paragraphs = content.paragraphs.map(
    (text) => html`<p style="margin:0 0 16px;line-height:1.5">${text}</p>`,
  );
  const links = (content.links ?? []).map(
    (link) =>
      html`<p style="margin:0 0 8px"><a href="${link.url}" style="color:#4338ca">${link.label}</a></p>`,
  );
  const footnote = content.footnote
    ? html`<p style="margin:24px 0 0;font-size:13px;color:#6b7280">${content.footnote}</p>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${content.subject}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;${FONT};color:#111827">
<table role="presentation" width="100%" style="border-collapse:collapse;background:#f3f4f6"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" style="max-width:560px;border-collapse:collapse;background:#ffffff;border-radius:8px">
<tr><td style="padding:20px 32px;border-bottom:1px solid #e5e7eb;font-size:20px;font-weight:700;color:#4338ca">GitTix</td></tr>
<tr><td style="padding:28px 32px">
<h1 style="margin:0 0 16px;font-size:22px">${content.heading}</h1>
${paragraphs}${renderFacts(content.facts)}
<p style="margin:24px 0"><a href="${content.action.url}" style="display:inline-block;padding:12px 20px;background:#4338ca;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600">${content.action.label}</a></p>
${links}${footnote}
</td></tr>
<tr><td style="padding:16px 32px;border-top:1px solid #e5e7eb;font-size:12px;color:#6b7280">${SIGNATURE}</td></tr>
</table>
</td></tr></table>
</body>
</html>
`.markup;
}

/** The email as a reader sees it: the same content as plain text and as HTML. */
export function renderEmail(content: EmailContent): RenderedEmail {
  return { subject: content.subject, text: renderText(content), html: renderHtml(content) };
}

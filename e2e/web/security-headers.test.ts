import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desktop, launchBrowser, openPage, phone, screenshot } from './browser.js';
import { listTicket, signUp, uniqueEmail, uniqueTitle } from './flows.js';
import { startWebSystem, type WebSystem } from './system.js';

let system: WebSystem;
let browser: Browser;

beforeAll(async () => {
  [system, browser] = await Promise.all([startWebSystem(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

/** Every CSP violation Chromium reports on the page (it logs each as a console error). */
function recordViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (
      /Content Security Policy|Refused to (execute|load|apply|connect|frame)/i.test(message.text())
    )
      violations.push(message.text());
  });
  page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
  return violations;
}

/** Every request of the page that the system answered 404: a broken link or a missing asset. */
function recordMissing(page: Page): string[] {
  const missing: string[] = [];
  page.on('response', (response) => {
    if (response.status() === 404) missing.push(response.url());
  });
  return missing;
}

const directive = (policy: string, name: string) =>
  policy
    .split('; ')
    .find((d) => d.startsWith(`${name} `))
    ?.slice(name.length + 1);

describe('the web app’s security headers', () => {
  it('when a page is served, then it carries a fresh nonce CSP that Next’s scripts satisfy, and the other headers', async () => {
    const first = await fetch(`${system.baseUrl}/`);
    const second = await fetch(`${system.baseUrl}/`);
    const html = await first.text();
    await second.arrayBuffer();
    const policy = first.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce, policy).toBeDefined();
    expect(second.headers.get('content-security-policy')).not.toContain(nonce!);
    // Every script Next renders carries this response's nonce.
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    expect(directive(policy, 'frame-ancestors')).toBe("'none'");
    // Sandbox payments: no Stripe domain anywhere in the policy.
    expect(policy).not.toContain('stripe');
    expect(first.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(first.headers.get('permissions-policy')).toContain('camera=()');
    expect(first.headers.get('x-frame-options')).toBe('DENY');
    // `next start` runs with NODE_ENV=production.
    expect(first.headers.get('strict-transport-security')).toMatch(/^max-age=/);
  });

  it('when a person signs up, lists a ticket and browses on a phone, then every page works and none violates the policy', async () => {
    const page = await openPage(browser, phone);
    const violations = recordViolations(page);
    const missing = recordMissing(page);
    await signUp(page, system.baseUrl, uniqueEmail('csp'));
    const title = uniqueTitle('CSP check');
    await listTicket(page, system.baseUrl, title, '12');
    await page.getByRole('heading', { name: title }).waitFor();
    await screenshot(page, 'phone-ticket-with-csp');
    for (const path of ['/', '/tickets/mine', '/orders', '/auth/signin']) {
      await page.goto(`${system.baseUrl}${path}`);
      await page.waitForLoadState('networkidle');
    }
    await page.goto(`${system.baseUrl}/`);
    await page.getByRole('searchbox', { name: 'Search tickets' }).fill(title);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/[?&]q=/);
    await page.getByRole('link', { name: title }).waitFor();
    await screenshot(page, 'phone-home-search-with-csp');
    expect(violations).toEqual([]);
    // No broken link or asset on the way (Playwright does not report the tab icon's
    // request: the next test checks the icon).
    expect(missing).toEqual([]);
  });

  it('when a page is served, then it names the GitTix icon and the icon is served as SVG (no /favicon.ico 404 in the tab)', async () => {
    const html = await (await fetch(`${system.baseUrl}/`)).text();
    const href = /<link rel="icon" href="([^"]+)"[^>]*type="image\/svg\+xml"/.exec(html)?.[1];
    expect(href, html.slice(0, 2000)).toMatch(/^\/icon\.svg/);
    const icon = await fetch(`${system.baseUrl}${href}`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    expect(await icon.text()).toContain('<svg');
  });

  it('when another site frames a page, then the browser refuses to show it', async () => {
    const page = await openPage(browser, desktop);
    const violations = recordViolations(page);
    await page.setContent(`<iframe id="f" src="${system.baseUrl}/"></iframe>`);
    await expect
      .poll(() => violations.join('\n'), { timeout: 10_000 })
      .toMatch(/frame-ancestors|X-Frame-Options/);
    const frame = await (await page.$('#f'))!.contentFrame();
    // Chromium shows its own error page in the frame, none of GitTix's.
    expect(await frame?.content()).not.toContain('Skip to content');
  });
});

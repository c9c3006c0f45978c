import type { Metadata, Viewport } from 'next';
import { headers } from 'next/headers';
import type { ReactNode } from 'react';
import { RefreshOnReturn } from '../components/RefreshOnReturn';
import { SiteHeader } from '../components/SiteHeader';
import { WelcomeNotice } from '../components/WelcomeNotice';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'GitTix: resale tickets', template: '%s · GitTix' },
  description: 'Buy and sell event tickets from other fans.',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#ffffff' },
    { media: '(prefers-color-scheme: dark)', color: '#181b24' },
  ],
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Reading the request renders every page per request: each response gets the fresh
  // CSP nonce (src/proxy.ts) on Next's scripts, never a prerendered page without one.
  await headers();
  return (
    <html lang="en">
      <body>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <RefreshOnReturn />
        <SiteHeader />
        <main id="main">
          <WelcomeNotice />
          {children}
        </main>
        <footer className="site-footer">
          <p>GitTix: fan-to-fan ticket resale. Prices in US dollars.</p>
        </footer>
      </body>
    </html>
  );
}

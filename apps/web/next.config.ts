import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

// npm workspaces hoist dependencies to the repository root; Turbopack and output
// tracing must look there rather than guess from lockfiles.
const workspaceRoot = fileURLToPath(new URL('../..', import.meta.url));

// Build assets and the probe; pages get these and their CSP from src/proxy.ts.
const securityHeaders = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  { key: 'X-Frame-Options', value: 'DENY' },
];

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  turbopack: { root: workspaceRoot },
  outputFileTracingRoot: workspaceRoot,
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders }];
  },
};

export default config;

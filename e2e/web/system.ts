/**
 * The system the browser tests drive. Normally the whole of GitTix the harness
 * started: the one the `e2e-shared` project shares (vitest.config.ts), or, with
 * options, one of the file's own. GITTIX_E2E_BASE_URL (and GITTIX_E2E_EXPIRY_BASE_URL
 * for a system whose orders expire within seconds) point the tests at one already
 * running instead.
 */
export interface WebSystem {
  baseUrl: string;
  stop(): Promise<void>;
}

export async function startWebSystem(
  options: { orderExpirationSeconds?: number } = {},
): Promise<WebSystem> {
  const external =
    options.orderExpirationSeconds === undefined
      ? process.env.GITTIX_E2E_BASE_URL
      : process.env.GITTIX_E2E_EXPIRY_BASE_URL;
  if (external) return { baseUrl: external.replace(/\/$/, ''), stop: async () => {} };
  if (options.orderExpirationSeconds === undefined) {
    const { useSharedSystem } = await import('../harness/shared.js');
    return useSharedSystem();
  }
  const { startSystem } = await import('../harness/system.js');
  return startSystem(options);
}

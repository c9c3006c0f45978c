/**
 * The system the browser tests drive. Normally the whole of GitTix started by the
 * harness; GITTIX_E2E_BASE_URL (and GITTIX_E2E_EXPIRY_BASE_URL for a system whose
 * orders expire within seconds) point the tests at one already running instead.
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
  const { startSystem } = await import('../harness/system.js');
  return startSystem(options);
}

/**
 * Compose-file semantics the tests need: variable interpolation (.env files are read
 * with the `dotenv` package, whose format Compose's follows).
 */

export class InterpolationError extends Error {
  override name = 'InterpolationError';
}

/**
 * Compose's interpolation of one string: `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `$VAR`, and `$$` for a literal `$`.
 */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare)!;
      const current = env[name];
      const unset = current === undefined;
      const empty = unset || current === '';
      switch (op) {
        case ':-':
          return empty ? (arg ?? '') : current!;
        case '-':
          return unset ? (arg ?? '') : current!;
        case ':?':
          if (empty) throw new InterpolationError(`${name}: ${arg}`);
          return current!;
        case '?':
          if (unset) throw new InterpolationError(`${name}: ${arg}`);
          return current!;
        default:
          return current ?? '';
      }
    },
  );
}

/** Interpolates every string in a parsed Compose file (keys stay as they are). */
export function interpolateAll<T>(value: T, env: Record<string, string | undefined>): T {
  if (typeof value === 'string') return interpolate(value, env) as T;
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, env)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateAll(v, env)]),
    ) as T;
  }
  return value;
}

/** `environment:` as a map whether the file used the list or the mapping syntax. */
export function environmentOf(service: Record<string, unknown>): Record<string, string | null> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry: string) => {
        const eq = entry.indexOf('=');
        return eq < 0 ? [entry, null] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries((env ?? {}) as Record<string, unknown>).map(([k, v]) => [
      k,
      v === null ? null : String(v),
    ]),
  );
}

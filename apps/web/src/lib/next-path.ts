/** Only same-site paths: "/orders/1" yes; "//evil.example", "https://…", "/\\evil" no. */
export function safeNextPath(value: string | string[] | null | undefined, fallback = '/'): string {
  const path = Array.isArray(value) ? value[0] : value;
  if (!path?.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) {
    return fallback;
  }
  return path;
}

export function signInPath(next: string): string {
  return `/auth/signin?next=${encodeURIComponent(next)}`;
}

/**
 * A one-time note carried from the sign-up form to the next page the new user sees:
 * which email was sent its verification link. Kept in this tab's sessionStorage, read
 * once; without storage (a locked-down browser) there is simply no note.
 */
const KEY = 'gittix.welcome';

export function rememberWelcome(email: string): void {
  try {
    window.sessionStorage.setItem(KEY, email);
  } catch {}
}

/** The email signed up with, once: reading it forgets it. */
export function takeWelcome(): string | null {
  try {
    const email = window.sessionStorage.getItem(KEY);
    window.sessionStorage.removeItem(KEY);
    return email;
  } catch {
    return null;
  }
}

/** A full-page navigation (to another site, such as Stripe's onboarding). */
export function navigateTo(url: string): void {
  window.location.assign(url);
}

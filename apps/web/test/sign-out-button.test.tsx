// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { SignOutButton } from '../src/components/SignOutButton';

// The auth service takes JSON only: a sign-out form that the browser submits itself,
// before the page's script has loaded, posted a form-encoded body to
// /api/users/signout and showed the visitor its raw 415 answer, still signed in.

afterEach(cleanup);

describe('the Sign out button', () => {
  it('when the page arrives from the server, then the form cannot be sent to the API as a plain form', () => {
    const html = renderToString(<SignOutButton />);
    const page = new DOMParser().parseFromString(html, 'text/html');

    expect(page.querySelector('form')?.getAttribute('action') ?? '').not.toMatch(/^\/api\//);
    expect(page.querySelector('button')?.hasAttribute('disabled')).toBe(true);
  });

  it('when the page is running, then "Sign out" can be pressed', () => {
    render(<SignOutButton />);
    expect(screen.getByRole('button', { name: 'Sign out' }).hasAttribute('disabled')).toBe(false);
  });
});

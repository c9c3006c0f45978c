// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthForm } from '../src/components/AuthForm';
import { WelcomeNotice } from '../src/components/WelcomeNotice';
import { answer } from './stand-ins';

const navigation = vi.hoisted(() => ({ pathname: '/' }));
vi.mock('next/navigation', () => ({ usePathname: () => navigation.pathname }));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
  navigation.pathname = '/';
});

function submit(email: string, password: string, button: 'Sign in' | 'Sign up') {
  fireEvent.change(screen.getByLabelText('Email'), { target: { value: email } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
  fireEvent.click(screen.getByRole('button', { name: button }));
}

describe('AuthForm', () => {
  it('when the API names fields, then each message sits beside its field, described by it', async () => {
    vi.stubGlobal(
      'fetch',
      answer(400, {
        errors: [
          { message: 'Email must be valid', field: 'email' },
          { message: 'Password must be between 8 and 128 characters', field: 'password' },
        ],
      }),
    );
    render(<AuthForm mode="signup" next="/" />);
    submit('nope', 'short', 'Sign up');

    const email = screen.getByLabelText('Email');
    expect(await screen.findByText('Email must be valid')).toBeTruthy();
    expect(email.getAttribute('aria-invalid')).toBe('true');
    expect(email.getAttribute('aria-describedby')).toContain('email-error');
    expect(document.getElementById('password-error')?.textContent).toContain('8 and 128');
    expect(screen.getByRole('alert').textContent).toBe('');
  });

  it('when the error has no field, then it shows above the form as an alert', async () => {
    const fetch = answer(400, { errors: [{ message: 'Invalid credentials' }] });
    vi.stubGlobal('fetch', fetch);
    render(<AuthForm mode="signin" next="/" />);
    submit('a@b.test', 'wrong password', 'Sign in');

    await screen.findByText('Invalid credentials');
    expect(screen.getByRole('alert').textContent).toBe('Invalid credentials');
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBeNull();
    const [path, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(path).toBe('/api/users/signin');
    expect(JSON.parse(String(init.body))).toEqual({
      email: 'a@b.test',
      password: 'wrong password',
    });
  });

  it('when the network is down, then it says so instead of failing silently', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')));
    render(<AuthForm mode="signin" next="/" />);
    submit('a@b.test', 'whatever123', 'Sign in');
    await screen.findByText(/Can't reach GitTix/);
    expect(screen.getByRole('alert').textContent).toContain("Can't reach GitTix");
  });
});

describe('after Sign up', () => {
  it('when the account is made, then the next page says where the verification link went, once, until dismissed', async () => {
    vi.stubGlobal('fetch', answer(201, { id: 'u1', email: 'new.fan@example.test' }));
    render(<AuthForm mode="signup" next="/" />);
    submit(' New.Fan@example.test', 'long enough password', 'Sign up');
    await vi.waitFor(() => expect(sessionStorage.length).toBe(1));
    cleanup();

    // The page signed up into (a full navigation: a fresh mount).
    render(<WelcomeNotice />);
    const status = screen.getByRole('status');
    await vi.waitFor(() =>
      expect(status.querySelector('p')?.textContent).toBe(
        'Check your inbox: we sent a link to verify new.fan@example.test',
      ),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(status.textContent).toBe('');

    // One time only: a reload or the next page says nothing more.
    cleanup();
    render(<WelcomeNotice />);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(screen.getByRole('status').textContent).toBe('');
  });

  it('when the new user goes on to another page, then the note stays behind', async () => {
    sessionStorage.setItem('gittix.welcome', 'new.fan@example.test');
    const { rerender } = render(<WelcomeNotice />);
    const status = screen.getByRole('status');
    await vi.waitFor(() => expect(status.textContent).toContain('new.fan@example.test'));
    // A client-side navigation: the layout, and this note with it, stays mounted.
    navigation.pathname = '/events';
    rerender(<WelcomeNotice />);
    expect(status.textContent).toBe('');
  });

  it('when someone signs in, then no verification note follows them', async () => {
    const fetch = answer(200, { id: 'u1', email: 'fan@example.test' });
    vi.stubGlobal('fetch', fetch);
    render(<AuthForm mode="signin" next="/" />);
    submit('fan@example.test', 'long enough password', 'Sign in');
    await vi.waitFor(() => expect(fetch).toHaveBeenCalled());
    await new Promise((resolve) => setTimeout(resolve, 0));
    cleanup();
    render(<WelcomeNotice />);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(screen.getByRole('status').textContent).toBe('');
  });
});

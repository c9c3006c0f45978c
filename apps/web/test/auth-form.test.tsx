// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthForm } from '../src/components/AuthForm';
import { answer } from './stand-ins';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
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

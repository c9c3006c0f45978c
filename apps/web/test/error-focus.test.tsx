// @vitest-environment jsdom

import type { Order } from '@gittix/api-types';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthForm } from '../src/components/AuthForm';
import { EventForm } from '../src/components/EventForm';
import { OrderPanel } from '../src/components/OrderPanel';
import { PurchaseButton } from '../src/components/PurchaseButton';
import { SimpleForm } from '../src/components/SimpleForm';
import { TicketForm } from '../src/components/TicketForm';
import { answer, stripe } from './stand-ins';

// After a failed submit, focus goes to the first error the form shows (WCAG 3.3.1): its
// alert, or the first field the error names; never left on a button disabled meanwhile.

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn(), replace: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

// Stripe.js and its React parts: stand-ins whose tokenizing each test decides.
vi.mock('@stripe/stripe-js', () => import('./stand-ins').then((s) => s.stripeJs));
vi.mock('@stripe/react-stripe-js', () => import('./stand-ins').then((s) => s.reactStripeJs));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.clearAllMocks();
});

const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement;

/** Waits until focus has left the page and the button that was pressed, then returns its holder. */
async function focused(): Promise<Element> {
  await vi.waitFor(() => {
    expect(document.activeElement).not.toBe(document.body);
    expect(document.activeElement?.tagName).not.toBe('BUTTON');
  });
  return document.activeElement as Element;
}

const order: Order = {
  id: 'order-1',
  userId: 'buyer-1',
  status: 'created',
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
  version: 0,
  ticket: { id: 'ticket-1', title: 'Arctic Monkeys', price: 35.5 },
};

describe('AuthForm', () => {
  function signIn() {
    render(<AuthForm mode="signin" next="/" />);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'a@b.test' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong password' } });
    button('Sign in').focus();
    fireEvent.click(button('Sign in'));
  }

  it('when sign-in is refused, then focus moves to the alert and the button works again', async () => {
    vi.stubGlobal('fetch', answer(400, { errors: [{ message: 'Invalid credentials' }] }));
    signIn();

    await screen.findByText('Invalid credentials');
    const alert = screen.getByRole('alert');
    // Focus moves in an effect after the render that shows the text (useErrorFocus): a
    // busy machine can let the text be found before it runs.
    await vi.waitFor(() => expect(document.activeElement).toBe(alert));
    expect(alert.getAttribute('tabindex')).toBe('-1');
    expect(button('Sign in').disabled).toBe(false);
  });

  it('when the same refusal comes twice, then focus moves to the alert both times', async () => {
    vi.stubGlobal('fetch', answer(400, { errors: [{ message: 'Invalid credentials' }] }));
    signIn();
    await screen.findByText('Invalid credentials');
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByRole('alert')));

    button('Sign in').focus();
    fireEvent.click(button('Sign in'));
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByRole('alert')));
  });

  it('when the API names fields, then focus moves to the first invalid field, described by its message', async () => {
    vi.stubGlobal(
      'fetch',
      answer(400, {
        errors: [
          { message: 'Password must be between 8 and 128 characters', field: 'password' },
          { message: 'Email must be valid', field: 'email' },
        ],
      }),
    );
    render(<AuthForm mode="signup" next="/" />);
    button('Sign up').focus();
    fireEvent.click(button('Sign up'));

    const email = screen.getByLabelText('Email');
    expect(await focused()).toBe(email);
    expect(email.getAttribute('aria-invalid')).toBe('true');
    expect(email.getAttribute('aria-describedby')).toContain('email-error');
    expect(button('Sign up').disabled).toBe(false);
  });
  it('when the API refuses both the request and a field, then focus moves to the alert, first in reading order', async () => {
    vi.stubGlobal(
      'fetch',
      answer(400, {
        errors: [
          { message: 'Email must be valid', field: 'email' },
          { message: 'Too many attempts, try later' },
        ],
      }),
    );
    render(<AuthForm mode="signin" next="/" />);
    fireEvent.click(button('Sign in'));

    expect(await focused()).toBe(screen.getByRole('alert'));
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBe('true');
  });
});

describe('SimpleForm', () => {
  it('when the API refuses a field, then focus moves to that field', async () => {
    vi.stubGlobal(
      'fetch',
      answer(400, { errors: [{ message: 'Current password is wrong', field: 'currentPassword' }] }),
    );
    render(
      <SimpleForm
        method="PUT"
        path="/api/users/password"
        fields={[
          {
            name: 'currentPassword',
            label: 'Current password',
            type: 'password',
            autoComplete: 'current-password',
          },
          {
            name: 'newPassword',
            label: 'New password',
            type: 'password',
            autoComplete: 'new-password',
          },
        ]}
        submitLabel="Change password"
        done={<p>Password changed</p>}
      />,
    );
    fireEvent.click(button('Change password'));

    expect(await focused()).toBe(screen.getByLabelText('Current password'));
  });

  it('when the form is replaced by what it did, then focus moves there, not to the page', async () => {
    vi.stubGlobal('fetch', answer(202, {}));
    render(
      <SimpleForm
        method="POST"
        path="/api/users/password/forgot"
        fields={[{ name: 'email', label: 'Email', type: 'email', autoComplete: 'email' }]}
        submitLabel="Send reset link"
        done={<p>A reset link is on its way</p>}
      />,
    );
    button('Send reset link').focus();
    fireEvent.click(button('Send reset link'));

    const done = await focused();
    expect(done.getAttribute('role')).toBe('status');
    expect(done.textContent).toBe('A reset link is on its way');
  });

  it('when the form stays after success, then its message fills a status region that was already there', async () => {
    vi.stubGlobal('fetch', answer(200, {}));
    render(
      <SimpleForm
        method="PUT"
        path="/api/users/password"
        fields={[
          {
            name: 'newPassword',
            label: 'New password',
            type: 'password',
            autoComplete: 'new-password',
          },
        ]}
        submitLabel="Change password"
        keepFormAfterDone
        done={<p>Password changed.</p>}
      />,
    );
    const region = screen
      .getAllByRole('status')
      .find((status) => !status.hasAttribute('aria-live')) as HTMLElement;
    expect(region.textContent).toBe('');
    fireEvent.click(button('Change password'));
    await vi.waitFor(() => expect(region.textContent).toBe('Password changed.'));
    expect(region.isConnected).toBe(true);
  });
});

describe('EventForm', () => {
  it('when required fields are left empty, then focus moves to the first of them', async () => {
    vi.stubGlobal('fetch', answer(201, {}));
    render(<EventForm />);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Radiohead' } });
    fireEvent.click(button('Add event'));

    expect(await focused()).toBe(screen.getByLabelText('Venue'));
  });
});

describe('TicketForm', () => {
  it('when saving is refused, then focus moves to the alert', async () => {
    vi.stubGlobal('fetch', answer(400, { errors: [{ message: 'Cannot edit a sold ticket' }] }));
    render(<TicketForm />);
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Row 3' } });
    fireEvent.change(screen.getByLabelText('Price'), { target: { value: '40' } });
    fireEvent.click(button('Create ticket'));

    expect(await focused()).toBe(screen.getByRole('alert'));
    expect(screen.getByRole('alert').textContent).toBe('Cannot edit a sold ticket');
    expect(button('Create ticket').disabled).toBe(false);
  });
});

describe('PurchaseButton', () => {
  it('when the purchase is refused, then focus moves to the alert', async () => {
    vi.stubGlobal('fetch', answer(400, { errors: [{ message: 'Ticket is already reserved' }] }));
    render(<PurchaseButton ticketId="ticket-1" signedIn />);
    fireEvent.click(button('Purchase'));

    expect(await focused()).toBe(screen.getByRole('alert'));
    expect(screen.getByRole('alert').textContent).toBe('Ticket is already reserved');
  });
});

describe('paying an order', () => {
  it('when the test card is declined, then focus moves to the alert that says so and Pay works again', async () => {
    vi.stubGlobal('fetch', answer(402, { errors: [{ message: 'Card declined' }] }));
    render(<OrderPanel order={order} renderedAt={Date.now()} stripePublishableKey={null} />);
    fireEvent.change(screen.getByLabelText('Card number'), {
      target: { value: '4000 0000 0000 0002' },
    });
    fireEvent.click(button('Pay'));

    const alert = await focused();
    expect(alert).toBe(screen.getByRole('alert'));
    expect(alert.textContent).toMatch(/declined/);
    expect(button('Pay').disabled).toBe(false);
  });

  it('when the card number is not a test card, then focus moves to the card field', async () => {
    const fetch = answer(201, {});
    vi.stubGlobal('fetch', fetch);
    render(<OrderPanel order={order} renderedAt={Date.now()} stripePublishableKey={null} />);
    fireEvent.change(screen.getByLabelText('Card number'), { target: { value: '1234' } });
    fireEvent.click(button('Pay'));

    const card = screen.getByLabelText('Card number');
    expect(await focused()).toBe(card);
    expect(card.getAttribute('aria-describedby')).toContain('card-error');
    expect(fetch).not.toHaveBeenCalled();
  });

  it("when Stripe's card form refuses the card, then focus moves to the alert with Stripe's message", async () => {
    stripe.createToken.mockResolvedValue({ error: { message: 'Your card number is incomplete.' } });
    vi.stubGlobal('fetch', answer(201, {}));
    // The card form is loaded on demand (next/dynamic): have the module ready beforehand.
    await import('../src/components/StripePaymentForm');
    render(<OrderPanel order={order} renderedAt={Date.now()} stripePublishableKey="pk_test_123" />);
    await screen.findByTestId('stripe-card');
    fireEvent.click(button('Pay'));

    const alert = await focused();
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toBe('Your card number is incomplete.');
    expect(button('Pay').disabled).toBe(false);
  });
});

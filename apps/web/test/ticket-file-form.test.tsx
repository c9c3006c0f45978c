// @vitest-environment jsdom
import type { CurrentUser, Order, Ticket } from '@gittix/api-types';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import EditTicketPage from '../src/app/tickets/[id]/edit/page';
import TicketPage from '../src/app/tickets/[id]/page';
import { TicketFileForm } from '../src/components/TicketFileForm';
import { answer, noContent } from './stand-ins';

// A sold (or held) ticket can't change, but the API still takes its file until the
// event starts: the seller attaches it from the ticket page or the edit page.

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn(), replace: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

// The pages read through the gateway on the server: each test decides what it answers.
// Orders answers only its owner with the order (anyone else gets 404), as the API does.
const gateway = vi.hoisted(() => ({
  user: null as CurrentUser | null,
  ticket: null as unknown,
  order: null as Order | null,
}));
vi.mock('../src/lib/gateway', () => ({
  getCurrentUser: async () => gateway.user,
  requireUser: async () => gateway.user,
  loadOrRedirect: async () => gateway.ticket,
  gatewayGet: async (path: string) =>
    gateway.order &&
    path === `/api/orders/${gateway.order.id}` &&
    gateway.order.userId === gateway.user?.id
      ? { status: 200, data: gateway.order, headers: new Headers(), errors: [] }
      : { status: 404, data: null, headers: new Headers(), errors: [] },
}));
vi.mock('../src/lib/config', () => ({ webConfig: () => ({ PLATFORM_FEE_PERCENT: 10 }) }));

afterEach(() => {
  gateway.order = null;
  cleanup();
  vi.unstubAllGlobals();
  vi.clearAllMocks();
});

const seller: CurrentUser = { id: 'seller-1', email: 'seller@example.test', emailVerified: true };
const buyer: CurrentUser = { id: 'buyer-1', email: 'buyer@example.test', emailVerified: true };

const sold: Ticket = {
  id: 't1',
  title: 'Arctic Monkeys, Block B',
  price: 35,
  userId: 'seller-1',
  version: 2,
  orderId: 'o1',
  status: 'sold',
  eventId: null,
  event: null,
  hasFile: false,
};

const pdf = () => new File(['%PDF-1.7 ticket'], 'e-ticket.pdf', { type: 'application/pdf' });

function chooseFile(file: File) {
  fireEvent.change(screen.getByLabelText('Ticket file'), { target: { files: [file] } });
}

const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement;

/** The hint a field is described by (its error, if any, comes first). */
const hintOf = (field: HTMLElement) =>
  document.getElementById(`${field.id}-hint`)?.textContent ?? '';

describe('TicketFileForm', () => {
  it('when the seller attaches a file to a sold ticket, then only the file is uploaded, the page says so and refreshes', async () => {
    const fetch = noContent();
    vi.stubGlobal('fetch', fetch);
    render(<TicketFileForm ticket={sold} />);
    const file = pdf();
    chooseFile(file);
    fireEvent.click(button('Attach file'));

    await screen.findByText('Ticket file attached. The buyer can download it now.');
    expect(screen.getByRole('status').textContent).toBe(
      'Ticket file attached. The buyer can download it now.',
    );
    expect(fetch).toHaveBeenCalledTimes(1);
    const [path, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(path).toBe('/api/tickets/t1/file');
    expect(init.method).toBe('PUT');
    expect(init.headers).toEqual({ 'content-type': 'application/pdf' });
    expect(init.body).toBe(file);
    expect(router.refresh).toHaveBeenCalled();
    expect(screen.getByRole('alert').textContent).toBe('');
  });

  it("when the upload is refused, then the API's reason shows in the form's alert, which takes focus", async () => {
    vi.stubGlobal('fetch', answer(400, { errors: [{ message: 'The file is not a real PDF' }] }));
    render(<TicketFileForm ticket={sold} />);
    chooseFile(pdf());
    fireEvent.click(button('Attach file'));

    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByRole('alert')));
    expect(screen.getByRole('alert').textContent).toBe('The file is not a real PDF');
    expect(screen.getByRole('status').textContent).toBe('');
    expect(button('Attach file').disabled).toBe(false);
    expect(router.refresh).not.toHaveBeenCalled();
  });

  it('when no file is chosen, then the field says so and nothing is sent', async () => {
    const fetch = noContent();
    vi.stubGlobal('fetch', fetch);
    render(<TicketFileForm ticket={sold} />);
    fireEvent.click(button('Attach file'));

    const field = screen.getByLabelText('Ticket file');
    await vi.waitFor(() => expect(document.activeElement).toBe(field));
    expect(document.getElementById('file-error')?.textContent).toBe(
      'Choose the ticket file to attach',
    );
    expect(fetch).not.toHaveBeenCalled();
  });

  it('when a file is attached already, then the button offers to replace it', () => {
    render(<TicketFileForm ticket={{ ...sold, hasFile: true }} />);
    expect(button('Replace file')).toBeTruthy();
    expect(screen.getByText(/A file is attached/)).toBeTruthy();
  });

  it('when the file is attached, then the button offers to replace it at once, before any reload', async () => {
    vi.stubGlobal('fetch', noContent());
    render(<TicketFileForm ticket={sold} />);
    chooseFile(pdf());
    fireEvent.click(button('Attach file'));

    await screen.findByText('Ticket file attached. The buyer can download it now.');
    expect(button('Replace file')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Attach file' })).toBeNull();
    expect(screen.getByText(/A file is attached/)).toBeTruthy();
  });

  it('when the ticket is sold, then the hint speaks of the buyer waiting, not of adding it later', () => {
    render(<TicketFileForm ticket={sold} />);
    const hint = hintOf(screen.getByLabelText('Ticket file'));
    expect(hint).not.toMatch(/later/);
    expect(hint).toMatch(/Your buyer is waiting for it/);
  });

  it('when a buyer holds the ticket, then the hint says they download it once they pay', () => {
    render(<TicketFileForm ticket={{ ...sold, status: 'reserved' }} />);
    const hint = hintOf(screen.getByLabelText('Ticket file'));
    expect(hint).not.toMatch(/later/);
    expect(hint).toMatch(/once they have paid/);
  });

  it('when a held ticket gets its file, then the seller reads that the buyer gets it once paid', async () => {
    vi.stubGlobal('fetch', noContent());
    render(<TicketFileForm ticket={{ ...sold, status: 'reserved' }} />);
    chooseFile(pdf());
    fireEvent.click(button('Attach file'));
    await screen.findByText('Ticket file attached. The buyer can download it once they have paid.');
  });
});

/** The caller's paid order for the sold ticket (orders shows it to its owner only). */
function boughtBy(user: CurrentUser): Order {
  return {
    id: 'o1',
    userId: user.id,
    status: 'complete',
    expiresAt: '2030-01-01T00:00:00.000Z',
    version: 1,
    ticket: { id: 't1', title: sold.title, price: sold.price },
  };
}

async function renderEditPage(ticket: Ticket) {
  gateway.user = seller;
  gateway.ticket = ticket;
  render(await EditTicketPage({ params: Promise.resolve({ id: ticket.id }) }));
}

async function renderTicketPage(ticket: Ticket, user: CurrentUser | null) {
  gateway.user = user;
  gateway.ticket = ticket;
  render(await TicketPage({ params: Promise.resolve({ id: ticket.id }) }));
}

describe('the edit page', () => {
  it('when the ticket is sold, then it says only the file can be attached and offers no Save that can only fail', async () => {
    await renderEditPage(sold);
    expect(
      screen.getByText('This ticket is sold: only its file can still be attached.'),
    ).toBeTruthy();
    expect(screen.queryByText(/A buyer's order holds this ticket/)).toBeNull();
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull();
    expect(screen.queryByLabelText('Price')).toBeNull();
    expect(screen.getByLabelText('Ticket file')).toBeTruthy();
    expect(button('Attach file')).toBeTruthy();
  });

  it("when the ticket's event has started, then nothing can be changed any more", async () => {
    await renderEditPage({
      ...sold,
      eventId: 'e1',
      event: {
        id: 'e1',
        name: 'Arctic Monkeys',
        venue: 'O2',
        city: 'London',
        startsAt: '2020-06-12T19:00:00.000Z',
      },
    });
    expect(screen.getByText(/The event has started/)).toBeTruthy();
    expect(screen.queryByLabelText('Ticket file')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull();
  });

  it('when the ticket is on sale, then the whole form with Save shows', async () => {
    await renderEditPage({ ...sold, status: 'available', orderId: null });
    expect(button('Save')).toBeTruthy();
    expect(screen.getByLabelText('Price')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Attach file' })).toBeNull();
  });
});

describe('the ticket page', () => {
  it('when the seller looks at their sold ticket, then they can attach its file there', async () => {
    await renderTicketPage(sold, seller);
    expect(screen.getByLabelText('Ticket file')).toBeTruthy();
    expect(button('Attach file')).toBeTruthy();
  });

  it('when a buyer holds the ticket, then its seller can still attach the file', async () => {
    await renderTicketPage({ ...sold, status: 'reserved' }, seller);
    expect(screen.getByText(/only its file can be attached/)).toBeTruthy();
    expect(button('Attach file')).toBeTruthy();
  });

  it('when someone else looks at a sold ticket, then there is no file form', async () => {
    await renderTicketPage(sold, { id: 'buyer-1', email: 'b@example.test', emailVerified: true });
    expect(screen.queryByLabelText('Ticket file')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Attach file' })).toBeNull();
  });

  it('when a stranger looks at a sold ticket, then it has found its buyer and offers no download', async () => {
    gateway.order = boughtBy(buyer);
    await renderTicketPage({ ...sold, hasFile: true }, { ...buyer, id: 'stranger-1' });
    expect(screen.getByText('Sold: this ticket has found its buyer.')).toBeTruthy();
    expect(screen.queryByText(/You bought this ticket/)).toBeNull();
    expect(screen.queryByRole('link', { name: 'Download ticket' })).toBeNull();
  });

  it('when its buyer looks at a sold ticket with its file, then it says it is theirs with a "Download ticket" link', async () => {
    gateway.order = boughtBy(buyer);
    await renderTicketPage({ ...sold, hasFile: true }, buyer);
    expect(screen.getByText(/You bought this ticket\./)).toBeTruthy();
    expect(screen.queryByText(/found its buyer/)).toBeNull();
    const link = screen.getByRole('link', { name: 'Download ticket' });
    expect(link.getAttribute('href')).toBe('/api/tickets/t1/file');
    expect(screen.queryByLabelText('Ticket file')).toBeNull();
  });

  it('when its buyer looks at a sold ticket without its file yet, then it says the seller has not attached it and we email them', async () => {
    gateway.order = boughtBy(buyer);
    await renderTicketPage(sold, buyer);
    expect(screen.getByText(/You bought this ticket\./)).toBeTruthy();
    expect(screen.getByText(/The seller hasn't attached its file yet/)).toBeTruthy();
    expect(screen.getByText(/we'll email you/)).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Download ticket' })).toBeNull();
  });
});

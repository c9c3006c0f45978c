// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TicketForm } from '../src/components/TicketForm';
import { answer } from './stand-ins';

const router = vi.hoisted(() => ({ refresh: vi.fn(), push: vi.fn() }));
vi.mock('next/navigation', () => ({ useRouter: () => router }));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.clearAllMocks();
});

const ticket = {
  id: 't1',
  title: 'Old title',
  price: 35,
  userId: 'u1',
  version: 0,
  orderId: 'o1',
  status: 'reserved' as const,
  eventId: null,
  event: null,
  hasFile: false,
};

const events = [
  {
    id: 'e1',
    name: 'Radiohead',
    venue: 'Bercy',
    city: 'Paris',
    startsAt: '2031-06-12T19:00:00.000Z',
    createdBy: 'u2',
    availableTickets: 0,
    minPrice: null,
  },
  {
    id: 'e2',
    name: 'Björk',
    venue: 'Olympia',
    city: 'Paris',
    startsAt: '2031-07-01T19:00:00.000Z',
    createdBy: 'u2',
    availableTickets: 2,
    minPrice: 30,
  },
];

describe('TicketForm', () => {
  it('when a price like "35.5" is entered, then it is sent as the number 35.5 and the ticket opens', async () => {
    const fetch = answer(201, { ...ticket, id: 't2', orderId: null });
    vi.stubGlobal('fetch', fetch);
    render(<TicketForm />);
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: '  Arctic Monkeys ' } });
    fireEvent.change(screen.getByLabelText('Price'), { target: { value: '35.5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create ticket' }));

    await vi.waitFor(() => expect(router.push).toHaveBeenCalledWith('/tickets/t2'));
    const [path, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(path).toBe('/api/tickets');
    expect(init.method).toBe('POST');
    expect(String(init.body)).toBe('{"title":"Arctic Monkeys","price":35.5}');
  });

  it('when the price cannot be read, then the field says why and nothing is sent', () => {
    const fetch = answer(201, {});
    vi.stubGlobal('fetch', fetch);
    render(<TicketForm />);
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'A show' } });
    fireEvent.change(screen.getByLabelText('Price'), { target: { value: '12.345' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create ticket' }));
    expect(document.getElementById('price-error')?.textContent).toContain('at most 2 decimals');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('when a reserved ticket is saved, then the refusal is shown plainly', async () => {
    vi.stubGlobal('fetch', answer(400, { errors: [{ message: 'Cannot edit a reserved ticket' }] }));
    render(<TicketForm ticket={ticket} />);
    expect((screen.getByLabelText('Price') as HTMLInputElement).value).toBe('35');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText('Cannot edit a reserved ticket');
    expect(screen.getByRole('alert').textContent).toBe('Cannot edit a reserved ticket');
    expect(router.push).not.toHaveBeenCalled();
  });

  it('when the form opens for an event, then that event is chosen and sent with the ticket', async () => {
    const fetch = answer(201, { ...ticket, id: 't3' });
    vi.stubGlobal('fetch', fetch);
    render(<TicketForm events={events} eventId="e2" />);
    const picker = screen.getByLabelText('Event') as HTMLSelectElement;
    expect(picker.value).toBe('e2');
    expect([...picker.options].map((o) => o.textContent)).toEqual([
      'No event',
      expect.stringContaining('Radiohead, Paris'),
      expect.stringContaining('Björk, Paris'),
    ]);
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Row 3' } });
    fireEvent.change(screen.getByLabelText('Price'), { target: { value: '40' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create ticket' }));
    await vi.waitFor(() => expect(router.push).toHaveBeenCalledWith('/tickets/t3'));
    const [, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(String(init.body)).toBe('{"title":"Row 3","price":40,"eventId":"e2"}');
  });

  it('when the event has started meanwhile, then the refusal shows beside the picker', async () => {
    vi.stubGlobal(
      'fetch',
      answer(400, { errors: [{ field: 'eventId', message: 'The event has started' }] }),
    );
    render(<TicketForm events={events} eventId="e1" />);
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Late' } });
    fireEvent.change(screen.getByLabelText('Price'), { target: { value: '10' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create ticket' }));
    await vi.waitFor(() =>
      expect(document.getElementById('eventId-error')?.textContent).toBe('The event has started'),
    );
    // The picker is invalid and described by the refusal, and still by its hint.
    const picker = screen.getByLabelText('Event');
    expect(picker.getAttribute('aria-invalid')).toBe('true');
    expect(picker.getAttribute('aria-describedby')).toBe('eventId-error eventId-hint');
    expect(router.push).not.toHaveBeenCalled();
  });

  it('when the ticket is listed but its file is refused, then an alert says it is live, links to it, and Save attaches the file', async () => {
    const listed = { ...ticket, id: 't9', orderId: null, status: 'available' as const };
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(new Response(JSON.stringify(listed), { status: 201 }))
      .mockResolvedValueOnce(
        new Response(JSON.stringify({ errors: [{ message: 'The file is not a real PDF' }] }), {
          status: 400,
        }),
      )
      .mockResolvedValueOnce(new Response(JSON.stringify(listed), { status: 200 }))
      .mockResolvedValueOnce(new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetch);
    render(<TicketForm events={events} />);
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Row 3' } });
    fireEvent.change(screen.getByLabelText('Price'), { target: { value: '40' } });
    const fake = new File(['not a pdf'], 'ticket.pdf', { type: 'application/pdf' });
    fireEvent.change(screen.getByLabelText('Ticket file'), { target: { files: [fake] } });
    fireEvent.click(screen.getByRole('button', { name: 'Create ticket' }));

    const alert = screen.getByRole('alert');
    await vi.waitFor(() => expect(document.activeElement).toBe(alert));
    expect(alert.textContent).toContain(
      'Your ticket is listed, but its file was not attached: The file is not a real PDF',
    );
    const link = screen.getByRole('link', { name: 'View your listing' });
    expect(link.getAttribute('href')).toBe('/tickets/t9');
    expect(document.getElementById('file-error')?.textContent).toBe('The file is not a real PDF');
    expect(screen.queryByRole('button', { name: 'Create ticket' })).toBeNull();
    expect(router.push).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await vi.waitFor(() => expect(router.push).toHaveBeenCalledWith('/tickets/t9'));
    const calls = fetch.mock.calls as [string, RequestInit][];
    expect(calls.map(([path, init]) => `${init.method} ${path}`)).toEqual([
      'POST /api/tickets',
      'PUT /api/tickets/t9/file',
      'PUT /api/tickets/t9',
      'PUT /api/tickets/t9/file',
    ]);
  });

  it('when a new listing is written, then the file hint says it can come later', () => {
    render(<TicketForm />);
    expect(document.getElementById('file-hint')?.textContent).toMatch(/You can add it later\.$/);
  });

  it('when a ticket is edited, then there is no event picker', () => {
    render(<TicketForm ticket={ticket} events={events} />);
    expect(screen.queryByLabelText('Event')).toBeNull();
  });

  it('when a seller types a price, then the form says what they receive after the fee, rounded like payments', () => {
    render(<TicketForm feePercent={10} />);
    const proceeds = () => screen.getByTestId('proceeds').textContent;
    expect(proceeds()).toBe('GitTix keeps 10% of the price as its fee.');
    fireEvent.change(screen.getByLabelText('Price'), { target: { value: '19.99' } });
    expect(proceeds()).toBe('You receive $17.99 after the fee (10%).');
    fireEvent.change(screen.getByLabelText('Price'), { target: { value: 'abc' } });
    expect(proceeds()).toBe('GitTix keeps 10% of the price as its fee.');
  });

  it('when a listing is edited, then the proceeds of its current price show at once', () => {
    render(<TicketForm ticket={ticket} feePercent={12.5} />);
    expect(screen.getByTestId('proceeds').textContent).toBe(
      'You receive $30.62 after the fee (12.5%).',
    );
  });
});

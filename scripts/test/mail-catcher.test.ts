import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@gittix/common/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { portOpen } from '../system/network.js';

describe('the local mail catcher (MailDev)', () => {
  it('when the process that started it is killed outright, then MailDev stops too and frees its ports', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'mail-catcher-owner.ts');
    const owner = spawn(
      process.execPath,
      ['--conditions=@gittix/source', '--import', 'tsx', fixture],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = once(owner, 'exit');
    try {
      const [line] = (await once(owner.stdout!, 'data')) as [Buffer];
      const [smtp, web, dir] = line.toString().trim().split(' ') as [string, string, string];
      const [smtpPort, webPort] = [Number(smtp), Number(web)];
      onTestFinished(() => rm(dir, { recursive: true, force: true }));
      expect(await portOpen('127.0.0.1', smtpPort)).toBe(true);
      expect(await portOpen('127.0.0.1', webPort)).toBe(true);

      owner.kill('SIGKILL'); // no exit handler runs: only the closed stdin tells MailDev
      await exited;
      await waitFor(
        async () =>
          !(await portOpen('127.0.0.1', smtpPort)) && !(await portOpen('127.0.0.1', webPort)),
        { timeoutMs: 20_000, message: 'MailDev gone with the process that started it' },
      );
    } finally {
      if (owner.exitCode === null && owner.signalCode === null) owner.kill('SIGKILL');
    }
  }, 120_000);
});

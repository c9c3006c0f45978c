/**
 * The alert rules of the monitoring component, unit-tested with `promtool test rules`
 * (Prometheus' own evaluator) against the fixtures of infra/test/alerts/: each alert
 * fires on a broken series and stays quiet on a healthy one. promtool comes with
 * Debian's `prometheus` package; when it is missing and apt-get can run (CI, as
 * root), the test installs it rather than skip.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { renderWithMonitoring } from './lib/monitoring.js';
import { type Yaml as Any, infraDir, readRepoFile } from './lib/repo.js';
import { run } from './lib/run.js';

const fixture = join(infraDir, 'test/alerts/gittix.test.yaml');

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version']).status === 0;
}

/** promtool on PATH, installing Debian's prometheus package if it is not. */
function ensurePromtool(): void {
  if (hasPromtool()) return;
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 600_000,
    });
  if (process.getuid?.() === 0) {
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', '--no-install-recommends', 'prometheus']);
  }
  if (!hasPromtool()) {
    throw new Error(
      'promtool is missing and could not be installed: apt-get install prometheus (Debian) gives it',
    );
  }
}

const rendered = renderWithMonitoring('dev');
const rule: Any = rendered.find((o) => o.kind === 'PrometheusRule');
const alerts: string[] = rule.spec.groups.flatMap((g: Any) => g.rules.map((r: Any) => r.alert));
const cases: Any[] = parse(readRepoFile('infra/test/alerts/gittix.test.yaml')).tests.flatMap(
  (t: Any) => t.alert_rule_test,
);

describe('alert rules (promtool)', () => {
  let dir: string;

  beforeAll(() => {
    ensurePromtool();
    dir = mkdtempSync(join(tmpdir(), 'gittix-alerts-'));
    // The PrometheusRule's spec is a Prometheus rule file.
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    copyFileSync(fixture, join(dir, 'gittix.test.yaml'));
  }, 660_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('when promtool checks the rendered PrometheusRule, then every rule is valid', async () => {
    const result = await run('promtool', ['check', 'rules', join(dir, 'rules.yaml')]);
    expect(result.stdout + result.stderr).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(result.code).toBe(0);
  });

  it('when promtool checks Compose’s Prometheus config, then it is valid and loads every rule', async () => {
    const result = await run('promtool', [
      'check',
      'config',
      join(infraDir, 'observability/prometheus.yml'),
    ]);
    expect(result.stdout + result.stderr).toContain('SUCCESS: 1 rule files found');
    expect(result.stdout + result.stderr).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(result.code).toBe(0);
  });

  it('when the fixtures run, then each alert fires on its broken series and nothing else fires', async () => {
    const result = await run('promtool', ['test', 'rules', join(dir, 'gittix.test.yaml')], {
      timeoutMs: 60_000,
    });
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it.each(alerts)(
    'when %s is tested, then a fixture makes it fire and one keeps it quiet',
    (alert) => {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(mine.some((c) => c.exp_alerts.length > 0)).toBe(true);
      expect(mine.some((c) => c.exp_alerts.length === 0)).toBe(true);
    },
  );

  it('when a rule is broken, then promtool fails the fixtures (they can fail)', async () => {
    const broken = structuredClone(rule.spec.groups);
    for (const group of broken)
      for (const r of group.rules) r.expr = `(${r.expr}) and on() vector(0) > 1`;
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: broken }));
    try {
      const result = await run('promtool', ['test', 'rules', join(dir, 'gittix.test.yaml')], {
        timeoutMs: 60_000,
      });
      expect(result.code).not.toBe(0);
      expect(result.stdout + result.stderr).toContain('FAILED');
    } finally {
      writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    }
  });
});

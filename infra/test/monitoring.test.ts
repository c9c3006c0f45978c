/**
 * infra/k8s/components/monitoring added to the dev overlay and rendered by
 * `kubectl kustomize`: every service is scraped, the exporters sit beside what they
 * watch, Prometheus may reach them, and the dashboard and alerts name only series
 * GitTix exports (docs/observability.md lists them).
 */
import { describe, expect, it } from 'vitest';
import { schemaErrors } from './lib/k8s-schema.js';
import { kustomizeDirs, type Resource } from './lib/kubectl.js';
import { renderWithMonitoring } from './lib/monitoring.js';
import { type Yaml as Any, readRepoFile, services } from './lib/repo.js';

const objects = renderWithMonitoring('dev');
const ofKind = (kind: string): Any[] => objects.filter((o) => o.kind === kind);
const named = (kind: string, name: string): Any =>
  ofKind(kind).find((o) => o.metadata.name === name);
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** The `gittix_*` series an expression or a dashboard names. */
const gittixSeries = (text: string) =>
  new Set(
    [...text.matchAll(/\bgittix_[a-z_]+/g)]
      .map(([name]) => name.replace(/_(bucket|count|sum)$/, ''))
      // Label names, not series.
      .filter((name) => name !== 'gittix_service'),
  );

const rule: Any = named('PrometheusRule', 'gittix');
const dashboardMap: Any = named('ConfigMap', 'gittix-grafana-dashboard');
const observabilityDoc = readRepoFile('docs/observability.md');

describe('the monitoring component on the dev overlay', () => {
  it('when rendered, then every object it adds validates against its schema (CRDs included)', async () => {
    const added = objects.filter(
      (o: Resource) =>
        o.apiVersion.startsWith('monitoring.coreos.com/') ||
        o.metadata.name.endsWith('-exporter') ||
        o.metadata.name === 'allow-prometheus' ||
        o.metadata.name === 'gittix-grafana-dashboard',
    );
    expect(added.length).toBeGreaterThanOrEqual(7 + 3 + 3 + 3);
    const problems: string[] = [];
    for (const obj of added) {
      for (const error of await schemaErrors(obj)) {
        problems.push(`${obj.kind} ${obj.metadata.name}: ${error}`);
      }
    }
    expect(problems).toEqual([]);
    expect(added.every((o: Resource) => o.metadata.namespace === 'gittix-dev')).toBe(true);
  });

  // Every service but web (Next.js: no /metrics of its own).
  it.each(services.filter((s) => s.name !== 'web').map((s) => s.name))(
    'when Prometheus looks for %s, then a ServiceMonitor selects its Service and scrapes /metrics on a port it has',
    (name) => {
      const monitors = ofKind('ServiceMonitor').filter((m) =>
        ofKind('Service').some(
          (s) =>
            s.metadata.name === name && matches(m.spec.selector.matchLabels, s.metadata.labels),
        ),
      );
      expect(monitors).toHaveLength(1);
      const [monitor] = monitors;
      const service = named('Service', name);
      const ports = service.spec.ports.map((p: Any) => p.name);
      for (const endpoint of monitor.spec.endpoints) {
        expect(ports).toContain(endpoint.port);
        expect(endpoint.path).toBe('/metrics');
      }
      expect(monitor.metadata.labels.release).toBe('kube-prometheus-stack');
    },
  );

  it.each([
    ['nats', 'StatefulSet', 'nats-exporter'],
    ['postgres', 'StatefulSet', 'postgres-exporter'],
    ['redis', 'StatefulSet', 'redis-exporter'],
  ])(
    'when %s is scraped, then its exporter runs beside it and a Service and ServiceMonitor reach the sidecar',
    (target, kind, exporter) => {
      const workload = named(kind, target);
      const sidecar = workload.spec.template.spec.containers.find((c: Any) => c.name === exporter);
      expect(sidecar).toBeDefined();
      expect(sidecar.ports.map((p: Any) => p.name)).toContain('metrics');
      expect(sidecar.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      });
      // The original container is still there: the patch added, it did not replace.
      expect(workload.spec.template.spec.containers.map((c: Any) => c.name)).toContain(target);
      const service = named('Service', exporter);
      expect(matches(service.spec.selector, workload.spec.template.metadata.labels)).toBe(true);
      expect(service.spec.ports[0].targetPort).toBe('metrics');
      const monitor = named('ServiceMonitor', exporter);
      expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    },
  );

  it('when the base denies everything, then Prometheus (namespace monitoring) may reach the http and metrics ports, and only those', () => {
    const policy = named('NetworkPolicy', 'allow-prometheus');
    expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/part-of': 'gittix' });
    expect(policy.spec.ingress).toHaveLength(1);
    const [ingress] = policy.spec.ingress;
    expect(ingress.from).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
      },
    ]);
    expect(ingress.ports.map((p: Any) => p.port).sort()).toEqual(['http', 'metrics']);
    // Every scraped pod carries the label the policy selects.
    for (const name of ['nats', 'postgres', 'redis']) {
      expect(named('StatefulSet', name).spec.template.metadata.labels).toMatchObject(
        policy.spec.podSelector.matchLabels,
      );
    }
  });

  it('when Grafana loads the dashboard, then it is valid JSON with golden signals and the purchase funnel, labelled for the sidecar', () => {
    expect(dashboardMap.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    const dashboard = JSON.parse(dashboardMap.data['gittix.json']);
    const titles = dashboard.panels.map((p: Any) => p.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Golden signals per service',
        'Requests per second',
        '5xx ratio',
        'Latency p95',
        'Purchase funnel',
        'Orders in the range, by outcome',
        'Payments in the range, by outcome',
      ]),
    );
    const ids = dashboard.panels.map((p: Any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('when an alert or a panel names a series, then GitTix exports it (docs/observability.md lists it) and no expression uses a `service` label', () => {
    const expressions = rule.spec.groups.flatMap((g: Any) => g.rules.map((r: Any) => r.expr));
    const named = new Set([
      ...gittixSeries(expressions.join('\n')),
      ...gittixSeries(dashboardMap.data['gittix.json']),
    ]);
    expect(named.size).toBeGreaterThan(10);
    const undocumented = [...named].filter((series) => !observabilityDoc.includes(`\`${series}`));
    expect(undocumented).toEqual([]);
    const all = `${expressions.join('\n')}\n${dashboardMap.data['gittix.json']}`;
    expect(all).not.toMatch(/[{(,]\s*service\s*[=~!)]/);
    expect(all).not.toMatch(/by \(service\b/);
  });

  it('when an alert is defined, then docs/observability.md has a row for it with its severity', () => {
    const rules = rule.spec.groups.flatMap((g: Any) => g.rules);
    const rows = new Map(
      [...observabilityDoc.matchAll(/^\| `(Gittix\w+)` \|.*\| (\w+) \|$/gm)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    expect(rules.map((r: Any) => [r.alert, rows.get(r.alert)])).toEqual(
      rules.map((r: Any) => [r.alert, r.labels.severity]),
    );
    expect(rows.size).toBe(rules.length);
  });
});

/** The overlays, by name (infra/k8s/overlays/<name>). */
const overlays = kustomizeDirs
  .filter((dir) => dir.startsWith('infra/k8s/overlays/'))
  .map((dir) => dir.slice('infra/k8s/overlays/'.length));

// The component is for any overlay: prod (CloudNativePG, no Postgres StatefulSet) is
// where it matters most, and a plain patch of a missing StatefulSet fails the build.
describe.each(overlays)('the monitoring component on the %s overlay', (overlay) => {
  const rendered: Any[] = renderWithMonitoring(overlay);
  const workloads = rendered.filter((o: Any) => o.kind === 'StatefulSet');
  const exporterServices = rendered.filter(
    (o: Any) => o.kind === 'Service' && o.metadata.name.endsWith('-exporter'),
  );
  const allowPrometheus: Any = rendered.find(
    (o: Any) => o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-prometheus',
  );

  it('when added, then the overlay still builds, with its exporters and alerts', () => {
    expect(exporterServices.map((s: Any) => s.metadata.name).sort()).toEqual([
      'nats-exporter',
      'postgres-exporter',
      'redis-exporter',
    ]);
    expect(rendered.some((o: Any) => o.kind === 'PrometheusRule')).toBe(true);
  });

  it('when an exporter Service selects pods, then each carries that exporter, and Prometheus may reach it', () => {
    const problems: string[] = [];
    for (const service of exporterServices) {
      const selected = workloads.filter((w: Any) =>
        matches(service.spec.selector, w.spec.template.metadata.labels),
      );
      for (const workload of selected) {
        const names = workload.spec.template.spec.containers.map((c: Any) => c.name);
        if (!names.includes(service.metadata.name)) {
          problems.push(`${service.metadata.name} selects ${workload.metadata.name}, no sidecar`);
        }
      }
    }
    for (const workload of workloads) {
      const sidecars = workload.spec.template.spec.containers.filter((c: Any) =>
        c.name.endsWith('-exporter'),
      );
      if (sidecars.length === 0) continue;
      if (
        !matches(
          allowPrometheus.spec.podSelector.matchLabels,
          workload.spec.template.metadata.labels,
        )
      ) {
        problems.push(`allow-prometheus does not select ${workload.metadata.name}`);
      }
      for (const sidecar of sidecars) {
        const service = exporterServices.find((s: Any) => s.metadata.name === sidecar.name);
        if (!service || !matches(service.spec.selector, workload.spec.template.metadata.labels)) {
          problems.push(`no Service reaches ${sidecar.name} in ${workload.metadata.name}`);
        }
      }
    }
    // CloudNativePG's PgBouncer pods (prod) are labelled postgres too, with no sidecar.
    for (const pooler of rendered.filter((o: Any) => o.kind === 'Pooler')) {
      for (const service of exporterServices) {
        if (matches(service.spec.selector, pooler.spec.template?.metadata?.labels)) {
          problems.push(
            `${service.metadata.name} selects the pods of Pooler ${pooler.metadata.name}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
    // NATS runs in every overlay, so its exporter does too.
    expect(workloads.find((w: Any) => w.metadata.name === 'nats')).toBeDefined();
  });
});

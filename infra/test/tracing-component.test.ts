/**
 * infra/k8s/components/tracing added to each overlay and rendered by `kubectl
 * kustomize`: every GitTix container gets the Collector's endpoint and the sampler from
 * gittix-config, the values are ones the services and the web app accept at start, and
 * their pods may reach the Collector, which they may not without the component.
 */
import { baseConfigSchema } from '@gittix/common';
import { describe, expect, it } from 'vitest';
import { parseWebConfig } from '../../apps/web/src/lib/config.js';
import { schemaErrors } from './lib/k8s-schema.js';
import { kustomize, kustomizeDirs } from './lib/kubectl.js';
import { renderWithComponent } from './lib/monitoring.js';
import type { Yaml as Any } from './lib/repo.js';

const component = 'infra/k8s/components/tracing';
const overlays = kustomizeDirs
  .filter((dir) => dir.startsWith('infra/k8s/overlays/'))
  .map((dir) => dir.slice('infra/k8s/overlays/'.length));

/** The GitTix Deployments whose containers read gittix-config, and that ConfigMap's data. */
function configured(objects: Any[]) {
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
  return objects
    .filter((o) => o.kind === 'Deployment')
    .flatMap((deployment) =>
      deployment.spec.template.spec.containers.map((container: Any) => {
        const names = (container.envFrom ?? []).map((from: Any) => from.configMapRef?.name);
        const config = configMaps.find(
          (c) => c.metadata.name.startsWith('gittix-config') && names.includes(c.metadata.name),
        );
        return { deployment, container: container.name as string, data: config?.data };
      }),
    )
    .filter(({ data }) => data);
}

/** Whether a NetworkPolicy selecting `podLabels` lets them out to `peer`'s pods on `port`. */
function mayReach(
  objects: Any[],
  podLabels: Record<string, string>,
  peer: { namespace: string; labels: Record<string, string> },
  port: number,
): boolean {
  const selects = (selector: Any, labels: Record<string, string>) =>
    Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return objects
    .filter((o) => o.kind === 'NetworkPolicy' && selects(o.spec.podSelector, podLabels))
    .flatMap((p) => p.spec.egress ?? [])
    .some(
      (rule: Any) =>
        (rule.ports ?? []).some((p: Any) => p.port === port) &&
        (rule.to ?? []).some(
          (to: Any) =>
            to.namespaceSelector &&
            selects(to.namespaceSelector, { 'kubernetes.io/metadata.name': peer.namespace }) &&
            selects(to.podSelector, peer.labels),
        ),
    );
}

const collector = {
  namespace: 'observability',
  labels: { 'app.kubernetes.io/name': 'opentelemetry-collector' },
};

describe.each(overlays)('the tracing component on the %s overlay', (overlay) => {
  const without: Any[] = kustomize(`infra/k8s/overlays/${overlay}`);
  const traced: Any[] = renderWithComponent(overlay, component);

  it('when added, then every GitTix container, the web app too, reads the endpoint and one trace in ten; without it, none', () => {
    const containers = configured(traced);
    expect(containers.map((c) => c.container).sort()).toEqual(
      configured(without)
        .map((c) => c.container)
        .sort(),
    );
    expect(containers.map((c) => c.container)).toEqual(
      expect.arrayContaining(['gateway', 'orders', 'tickets', 'expiration', 'payments', 'web']),
    );
    for (const { data } of containers) {
      expect(data).toMatchObject({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.1',
      });
    }
    for (const { data } of configured(without)) {
      expect(Object.keys(data).filter((key) => key.startsWith('OTEL_'))).toEqual([]);
    }
  });

  it('when the services and the web app read that config, then they accept it as it is', () => {
    const [{ data }] = configured(traced);
    const otel = Object.fromEntries(
      Object.entries(data as Record<string, string>).filter(([key]) => key.startsWith('OTEL_')),
    );
    const services = baseConfigSchema.pick({
      OTEL_EXPORTER_OTLP_ENDPOINT: true,
      OTEL_TRACES_SAMPLER: true,
      OTEL_TRACES_SAMPLER_ARG: true,
    });
    expect(services.parse(otel)).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: 0.1,
    });
    expect(parseWebConfig(otel)).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
      OTEL_TRACES_SAMPLER_ARG: 0.1,
    });
  });

  it("when added, then each GitTix pod may send OTLP/HTTP to the Collector (the endpoint's namespace and port), and without it none may", async () => {
    const endpoint = new URL(configured(traced)[0]!.data.OTEL_EXPORTER_OTLP_ENDPOINT);
    expect(endpoint.hostname.split('.')[1]).toBe(collector.namespace);
    for (const { deployment } of configured(traced)) {
      const labels = deployment.spec.template.metadata.labels;
      expect(mayReach(traced, labels, collector, Number(endpoint.port))).toBe(true);
      expect(mayReach(traced, labels, collector, 4317)).toBe(false);
      expect(mayReach(without, labels, collector, Number(endpoint.port))).toBe(false);
    }
    const policy = traced.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-otel-collector',
    );
    expect(await schemaErrors(policy)).toEqual([]);
  });
});

/**
 * infra/k8s rendered by `kubectl kustomize` (the base and every overlay) and held
 * against the Kubernetes schemas, services.json and the README's configuration table.
 */
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectRedis,
  durableName,
  natsRoles,
  type Subject,
  TICKET_FILE_MAX_BYTES,
} from '@gittix/common';
import { testInfra, uniqueName } from '@gittix/common/testing';
import { EXPIRATION_QUEUE } from '@gittix/expiration/queue';
import { addressOf } from '@gittix/notifications/config';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import {
  customSchemas,
  modelPackages,
  schemaErrors,
  unknownFieldErrors,
} from './lib/k8s-schema.js';
import {
  kubectlProblem,
  kustomize,
  kustomizeDirs,
  type Resource,
  renderKustomization,
} from './lib/kubectl.js';
import {
  type Yaml as Any,
  defaultShutdownTimeoutMs,
  documentedEnvKeys,
  eventsProcessOf,
  healthOf,
  infraDir,
  infraEnvKeys,
  isRequestServing,
  type Probe,
  portOf,
  routesOf,
  services,
} from './lib/repo.js';
import { run } from './lib/run.js';

const overlays = ['dev', 'prod'] as const;
type Overlay = (typeof overlays)[number];
const rendered: Record<Overlay, Resource[]> = {
  dev: kustomize('infra/k8s/overlays/dev'),
  prod: kustomize('infra/k8s/overlays/prod'),
};

/** A rendered Deployment with `readinessProbe` misspelt, to show the strict pass catches it. */
function misspeltDeployment(): Resource {
  const copy: Any = structuredClone(rendered.dev.find((r) => r.kind === 'Deployment'));
  const container = copy.spec.template.spec.containers[0];
  container.readinesProbe = container.readinessProbe;
  return copy;
}

let strictCache: Promise<string[]> | undefined;
/**
 * Unknown-field findings for the base, every overlay and the misspelt Deployment
 * (labelled `misspelt`), from one type-check: a TypeScript program takes seconds.
 */
function strictErrors(): Promise<string[]> {
  const objects = kustomizeDirs.map((dir) => kustomize(dir));
  strictCache ??= unknownFieldErrors(
    [...objects.flat(), misspeltDeployment()],
    [...kustomizeDirs.flatMap((dir, i) => objects[i]!.map(() => dir)), 'misspelt'],
  );
  return strictCache;
}

describe.each(kustomizeDirs)('%s, as kubectl kustomize renders it', (dir) => {
  it('when rendered, then every object validates against its Kubernetes schema', async () => {
    const objects = kustomize(dir);
    expect(objects.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const obj of objects) {
      for (const error of await schemaErrors(obj))
        problems.push(`${obj.kind} ${obj.metadata.name}: ${error}`);
    }
    expect(problems).toEqual([]);
  });

  it('when rendered, then no object carries a field the Kubernetes API does not define', async () => {
    expect((await strictErrors()).filter((e) => e.startsWith(`${dir} `))).toEqual([]);
  });
});

describe('rendering with kubectl', () => {
  it('when an overlay is added, then it gets the overlay checks of this file', () => {
    expect(kustomizeDirs).toEqual([
      'infra/k8s/base',
      ...overlays.map((o) => `infra/k8s/overlays/${o}`),
    ]);
  });

  /** A directory holding an executable `kubectl` that runs `script` (sh). */
  function fakeKubectl(script: string): { path: string; remove: () => void } {
    const dir = mkdtempSync(join(tmpdir(), 'gittix-kubectl-'));
    const path = join(dir, 'kubectl');
    writeFileSync(path, `#!/bin/sh\n${script}\n`);
    chmodSync(path, 0o755);
    return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
  }

  it('when kubectl is missing, then rendering fails and says how to install it', () => {
    const missing = join(tmpdir(), 'gittix-no-such-dir', 'kubectl');
    expect(kubectlProblem(missing)).toMatch(
      /kubectl is not installed \(.*kubectl: not found\)\. Install kubectl 1\.27 or newer/,
    );
    expect(() => kustomize('infra/k8s/base', missing)).toThrow(/infra\/README\.md/);
  });

  it('when kubectl embeds a kustomize older than v5, then rendering fails and says how to install it', () => {
    const old = fakeKubectl(
      `echo '{"clientVersion":{"gitVersion":"v1.26.0"},"kustomizeVersion":"v4.5.7"}'`,
    );
    try {
      expect(kubectlProblem(old.path)).toMatch(/kustomize v4\.5\.7, older than v5\. Install/);
      expect(() => kustomize('infra/k8s/base', old.path)).toThrow(/older than v5/);
    } finally {
      old.remove();
    }
  });

  it('when kustomize fails, then rendering fails with its message', () => {
    expect(() => kustomize('infra/k8s/overlays/no-such-overlay')).toThrow(
      /kubectl kustomize infra\/k8s\/overlays\/no-such-overlay failed: .*no-such-overlay/s,
    );
  });

  it.each(overlays)(
    'when any one patch of the %s overlay is left out, then the rendering changes (no patch matches nothing)',
    (overlay) => {
      // kustomize ignores a targeted patch whose target matches nothing; this does not.
      const copy = mkdtempSync(join(tmpdir(), 'gittix-k8s-'));
      try {
        const kustomization = readFileSync(
          join(infraDir, `k8s/overlays/${overlay}/kustomization.yaml`),
          'utf8',
        );
        const patches: unknown[] = parse(kustomization).patches ?? [];
        expect(patches.length).toBeGreaterThan(0);
        const full = JSON.stringify(rendered[overlay]);
        for (const [i, patch] of patches.entries()) {
          const tree = join(copy, String(i));
          cpSync(join(infraDir, 'k8s'), tree, { recursive: true });
          const doc = parseDocument(kustomization);
          doc.deleteIn(['patches', i]);
          writeFileSync(join(tree, `overlays/${overlay}/kustomization.yaml`), doc.toString());
          const without = JSON.stringify(renderKustomization(join(tree, 'overlays', overlay)));
          expect(without, `without ${JSON.stringify(patch)}`).not.toBe(full);
        }
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    },
    // One kubectl rendering per patch (prod has eight), a few seconds each on a busy machine.
    180_000,
  );
});

describe('the schema checks themselves', () => {
  const deployment = (): Any => structuredClone(one('dev', 'Deployment', 'tickets'));

  it('when an object breaks its schema, then the validator reports it', async () => {
    const broken = deployment();
    delete broken.spec.template.spec.containers[0].name;
    broken.spec.template.spec.containers[0].image = 3;
    const errors = await schemaErrors(broken);
    expect(errors.join('\n')).toMatch(/must have required property name/);
    expect(errors.join('\n')).toMatch(/image must be string/);
  });

  it('when an object carries a misspelt field, then the unknown-field pass names it', async () => {
    const misspelt = (await strictErrors()).filter((e) => e.startsWith('misspelt '));
    expect(misspelt).toHaveLength(1);
    expect(misspelt[0]).toMatch(
      /^misspelt Deployment \w+: .*readinesProbe.* does not exist in type 'IContainer'/,
    );
  });

  it('when a kind has no registered schema, then validation fails and says where to register one', async () => {
    // A kind of a group no model package or custom schema covers.
    const gadget = {
      apiVersion: 'example.gittix.dev/v1',
      kind: 'Gadget',
      metadata: { name: 'gittix' },
      spec: { instances: 3 },
    };
    expect(modelPackages['example.gittix.dev']).toBeUndefined();
    const [error] = await schemaErrors(gadget);
    expect(error).toContain('no schema for example.gittix.dev/v1 Gadget');
    expect(error).toContain("modelPackages['example.gittix.dev']");
    // The unknown-field pass leaves it to schemaErrors instead of failing to compile.
    expect(await unknownFieldErrors([gadget])).toEqual([]);
  });

  it('when a custom schema is registered, then objects of its kind are held against it', async () => {
    const key = 'example.gittix.dev/v1 Widget';
    customSchemas.set(key, {
      validate: (obj) => (typeof obj.spec === 'object' ? [] : ['spec is required']),
    });
    try {
      const widget = {
        apiVersion: 'example.gittix.dev/v1',
        kind: 'Widget',
        metadata: { name: 'w' },
      };
      expect(await schemaErrors(widget)).toEqual(['spec is required']);
      expect(await schemaErrors({ ...widget, spec: {} })).toEqual([]);
    } finally {
      customSchemas.delete(key);
    }
  });
});

/** Secrets each overlay expects to exist without rendering them (created out of band). */
const externalSecrets: Record<Overlay, string[]> = {
  dev: ['gittix-jwt', 'gittix-stripe'],
  prod: [
    'gittix-jwt',
    'gittix-nats',
    // A basic-auth Secret per CloudNativePG role: the runtime role's and the owner's.
    ...services
      .filter((s) => s.database)
      .flatMap((s) => [`gittix-db-${s.database}`, `gittix-db-${s.database}-owner`]),
    'gittix-stripe',
    'gittix-smtp',
    'gittix-redis',
  ],
};

const find = (overlay: Overlay, kind: string, name?: string): Any[] =>
  rendered[overlay].filter(
    (r) => r.kind === kind && (name === undefined || r.metadata.name === name),
  );
const one = (overlay: Overlay, kind: string, name: string): Any => {
  const hits = find(overlay, kind, name);
  expect(hits, `${overlay}: one ${kind} ${name}`).toHaveLength(1);
  return hits[0];
};
const podSpecOf = (workload: Any): Any => workload.spec.template.spec;
const workloads = (overlay: Overlay): Any[] =>
  rendered[overlay].filter((r) => ['Deployment', 'StatefulSet'].includes(r.kind));

/** The ConfigMap data a Deployment gets through envFrom. */
function configOf(overlay: Overlay, deployment: Any): Record<string, string> {
  const container = podSpecOf(deployment).containers[0];
  const data: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef)
      Object.assign(data, one(overlay, 'ConfigMap', source.configMapRef.name).data);
  }
  return data;
}

/** A container's environment with $(VAR) references expanded the way the kubelet does. */
function effectiveEnv(overlay: Overlay, deployment: Any): Record<string, string> {
  const env: Record<string, string> = { ...configOf(overlay, deployment) };
  for (const entry of podSpecOf(deployment).containers[0].env ?? []) {
    if (entry.value !== undefined) {
      env[entry.name] = String(entry.value).replace(
        /\$\((\w+)\)/g,
        (whole, key) => env[key] ?? whole,
      );
    } else if (entry.valueFrom?.secretKeyRef) {
      env[entry.name] =
        `<secret ${entry.valueFrom.secretKeyRef.name}/${entry.valueFrom.secretKeyRef.key}>`;
    }
  }
  return env;
}

function probeShape(probe: Any): Probe | undefined {
  if (probe?.httpGet) return { kind: 'http', path: probe.httpGet.path };
  if (probe?.tcpSocket) return { kind: 'tcp' };
  return undefined;
}

/** A named or numbered port of the container, as a number. */
function resolvePort(container: Any, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p: Any) => p.name === port)?.containerPort;
}

describe.each(overlays)('the %s overlay', (overlay) => {
  const objects = rendered[overlay];

  it('when rendered, then every namespaced object is in the overlay namespace', () => {
    const namespaces = find(overlay, 'Namespace');
    expect(namespaces).toHaveLength(1);
    const ns = namespaces[0].metadata.name;
    expect(ns).toBe(overlay === 'prod' ? 'gittix' : 'gittix-dev');
    expect(namespaces[0].metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const obj of objects.filter((o) => o.kind !== 'Namespace')) {
      expect(obj.metadata.namespace, `${obj.kind} ${obj.metadata.name}`).toBe(ns);
    }
  });

  it.each(services)(
    'when $name is deployed, then a Deployment and a Service serve its port',
    (spec) => {
      const deployment = one(overlay, 'Deployment', spec.name);
      const service = one(overlay, 'Service', spec.name);
      const pod = podSpecOf(deployment);
      expect(pod.containers).toHaveLength(1);
      const [container] = pod.containers;
      expect(resolvePort(container, 'http')).toBe(spec.port);
      expect(service.spec.ports).toEqual([{ name: 'http', port: spec.port, targetPort: 'http' }]);
      for (const [key, value] of Object.entries(service.spec.selector as Record<string, string>)) {
        expect(deployment.spec.template.metadata.labels[key]).toBe(value);
      }
      expect(deployment.spec.selector.matchLabels).toEqual(service.spec.selector);
      expect(effectiveEnv(overlay, deployment).PORT).toBe(String(spec.port));
    },
  );

  it.each(services)('when $name runs, then its probes hit its real health endpoints', (spec) => {
    const container = podSpecOf(one(overlay, 'Deployment', spec.name)).containers[0];
    const health = healthOf(spec);
    expect(probeShape(container.livenessProbe)).toEqual(health.liveness);
    expect(probeShape(container.readinessProbe)).toEqual(health.readiness);
    expect(probeShape(container.startupProbe)).toEqual(health.liveness);
    for (const probe of [
      container.livenessProbe,
      container.readinessProbe,
      container.startupProbe,
    ]) {
      const port = (probe.httpGet ?? probe.tcpSocket).port;
      expect(resolvePort(container, port)).toBe(spec.port);
    }
  });

  it.each(services)('when $name is scheduled, then it has requests within limits', (spec) => {
    const { resources } = podSpecOf(one(overlay, 'Deployment', spec.name)).containers[0];
    for (const key of ['cpu', 'memory']) {
      expect(resources.requests?.[key], `requests.${key}`).toBeDefined();
      expect(resources.limits?.[key], `limits.${key}`).toBeDefined();
      expect(quantity(resources.requests[key])).toBeLessThanOrEqual(
        quantity(resources.limits[key]),
      );
    }
  });

  it.each(services)(
    'when $name rolls, then it drains gracefully within its grace period',
    (spec) => {
      const deployment = one(overlay, 'Deployment', spec.name);
      const pod = podSpecOf(deployment);
      const command: string[] = pod.containers[0].lifecycle?.preStop?.exec?.command ?? [];
      expect(command[0]).toBe('sleep');
      const preStopSeconds = Number(command[1]);
      expect(preStopSeconds).toBeGreaterThan(0);
      const shutdownMs = Number(
        configOf(overlay, deployment).SHUTDOWN_TIMEOUT_MS ?? defaultShutdownTimeoutMs,
      );
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
        shutdownMs + preStopSeconds * 1000,
      );
      expect(deployment.spec.strategy.type).toBe('RollingUpdate');
      expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    },
  );

  it.each(services)('when $name runs, then its pod has the restricted security context', (spec) => {
    const pod = podSpecOf(one(overlay, 'Deployment', spec.name));
    const container = pod.containers[0];
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    const tmp = container.volumeMounts?.find((m: Any) => m.mountPath === '/tmp');
    expect(tmp, '/tmp is writable').toBeDefined();
    expect(pod.volumes.find((v: Any) => v.name === tmp.name)?.emptyDir).toBeDefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    // The image's user: files stay root-owned and read-only to the process.
    expect(pod.securityContext.runAsUser).toBe(1000);
  });

  it('when any pod runs, then it meets the restricted Pod Security Standard', () => {
    for (const workload of workloads(overlay)) {
      const pod = podSpecOf(workload);
      const where = `${workload.kind} ${workload.metadata.name}`;
      expect(pod.securityContext?.runAsNonRoot, where).toBe(true);
      expect(pod.securityContext?.runAsUser, where).toBeGreaterThan(0);
      expect(pod.securityContext?.seccompProfile?.type, where).toBe('RuntimeDefault');
      expect(pod.hostNetwork ?? false, where).toBe(false);
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        const sc = container.securityContext ?? {};
        expect(sc.allowPrivilegeEscalation, where).toBe(false);
        expect(sc.privileged ?? false, where).toBe(false);
        expect(sc.capabilities?.drop, where).toEqual(['ALL']);
        expect(sc.capabilities?.add ?? [], where).toEqual([]);
        expect(sc.readOnlyRootFilesystem, where).toBe(true);
      }
      for (const volume of pod.volumes ?? []) {
        const type = Object.keys(volume).find((k) => k !== 'name');
        expect(
          ['emptyDir', 'configMap', 'secret', 'persistentVolumeClaim', 'projected'],
          where,
        ).toContain(type);
      }
    }
  });

  it.each(services.filter((s) => s.consumersApart))(
    'when $name is deployed, then one Deployment serves its requests and another, of the same pod, consumes its events',
    (spec) => {
      const api = one(overlay, 'Deployment', spec.name);
      const consumers = one(overlay, 'Deployment', eventsProcessOf(spec.name));
      const { CONSUME_EVENTS, ...apiEnv } = effectiveEnv(overlay, api);
      expect(CONSUME_EVENTS).toBe('false');
      expect(effectiveEnv(overlay, consumers)).toEqual(apiEnv);
      // The same pod otherwise: image, migrate step, probes, limits, drain, security.
      const withoutEnv = (deployment: Any) => {
        const pod = structuredClone(podSpecOf(deployment));
        for (const c of pod.containers) delete c.env;
        delete pod.topologySpreadConstraints;
        return pod;
      };
      expect(withoutEnv(consumers)).toEqual(withoutEnv(api));
      // Disjoint pods: neither Deployment adopts the other's, and no Service but the
      // headless one that names them for scraping reaches the consuming pods.
      const labelsMatch = (selector: Record<string, string>, labels: Record<string, string>) =>
        Object.entries(selector).every(([k, v]) => labels[k] === v);
      const apiPod = api.spec.template.metadata.labels;
      const consumerPod = consumers.spec.template.metadata.labels;
      expect(labelsMatch(api.spec.selector.matchLabels, consumerPod)).toBe(false);
      expect(labelsMatch(consumers.spec.selector.matchLabels, apiPod)).toBe(false);
      const reaching = find(overlay, 'Service').filter(
        (svc) => svc.spec.selector && labelsMatch(svc.spec.selector, consumerPod),
      );
      expect(reaching.map((svc) => [svc.metadata.name, svc.spec.clusterIP])).toEqual([
        [eventsProcessOf(spec.name), 'None'],
      ]);
      // Scraped as the same job: the Service carries the app's name label.
      expect(reaching[0].metadata.labels['app.kubernetes.io/name']).toBe(spec.name);
      // Never below one consumer during a disruption; in prod KEDA scales it on the lag
      // of every durable the service creates, elsewhere a fixed count.
      const [pdb] = find(overlay, 'PodDisruptionBudget', eventsProcessOf(spec.name));
      expect(pdb.spec.selector.matchLabels).toEqual(consumers.spec.selector.matchLabels);
      expect(find(overlay, 'HorizontalPodAutoscaler', eventsProcessOf(spec.name))).toHaveLength(0);
      if (overlay === 'prod') {
        const scaled = one(overlay, 'ScaledObject', eventsProcessOf(spec.name));
        expect(scaled.spec.scaleTargetRef.name).toBe(eventsProcessOf(spec.name));
        expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(2);
        expect(consumers.spec.replicas).toBeUndefined();
        const durables = (
          natsRoles[spec.name as keyof typeof natsRoles].consumes as readonly Subject[]
        )
          .filter((subject) => subject !== 'session.revoked')
          .map((subject) => durableName(spec.name, subject));
        expect(scaled.spec.triggers.map((t: Any) => t.metadata.consumer).sort()).toEqual(
          durables.sort(),
        );
      } else {
        expect(consumers.spec.replicas).toBeGreaterThan(0);
      }
    },
  );

  it('when orders runs as two Deployments, then orders-events differs from orders only in its name, role, count and CONSUME_EVENTS', () => {
    // Two manifests (base/apps/orders.yaml, orders-events.yaml) and, in prod, two copies
    // of the database patch: kustomize cannot derive one from the other here (a
    // nameSuffix on a second copy of a base rewrites the first's references too,
    // kubernetes-sigs/kustomize#4444), so this holds them together instead.
    const api: Any = structuredClone(one(overlay, 'Deployment', 'orders'));
    const events: Any = structuredClone(one(overlay, 'Deployment', 'orders-events'));
    const envOf = (d: Any): Array<{ name: string }> => d.spec.template.spec.containers[0].env;
    expect(envOf(api).find((e) => e.name === 'CONSUME_EVENTS')).toEqual({
      name: 'CONSUME_EVENTS',
      value: 'false',
    });
    expect(envOf(events).find((e) => e.name === 'CONSUME_EVENTS')).toBeUndefined();
    expect(events.spec.template.metadata.labels['app.kubernetes.io/component']).toBe('worker');
    // The API's count is its autoscaler's; the workers' is fixed in dev, KEDA's in prod.
    expect(api.spec.replicas).toBeUndefined();
    const asApi = (d: Any): Any => {
      d.metadata.name = 'orders';
      delete d.spec.replicas;
      const c = d.spec.template.spec.containers[0];
      c.env = c.env.filter((e: { name: string }) => e.name !== 'CONSUME_EVENTS');
      return JSON.parse(JSON.stringify(d).replaceAll('"worker"', '"api"'));
    };
    expect(asApi(events)).toEqual(asApi(api));
  });

  it('when a request-serving service is deployed, then an autoscaler and a disruption budget cover it', () => {
    for (const spec of services) {
      const hpa = find(overlay, 'HorizontalPodAutoscaler', spec.name);
      const pdb = find(overlay, 'PodDisruptionBudget', spec.name);
      const deployment = one(overlay, 'Deployment', spec.name);
      if (!isRequestServing(spec)) {
        expect(hpa, spec.name).toHaveLength(0);
        if (overlay === 'prod') {
          // The workers scale on JetStream lag: KEDA's ScaledObject owns the count.
          const [scaled] = find(overlay, 'ScaledObject', spec.name);
          expect(scaled?.spec.scaleTargetRef, `${spec.name} ScaledObject`).toEqual({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: spec.name,
          });
          expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(2);
          expect(deployment.spec.replicas, `${spec.name} leaves replicas to KEDA`).toBeUndefined();
          expect(pdb, `${spec.name} PDB`).toHaveLength(1);
          expect(pdb[0].spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
        } else {
          expect(deployment.spec.replicas, `${spec.name} has a fixed count`).toBeGreaterThan(0);
        }
        continue;
      }
      expect(hpa, `${spec.name} HPA`).toHaveLength(1);
      expect(pdb, `${spec.name} PDB`).toHaveLength(1);
      expect(hpa[0].apiVersion).toBe('autoscaling/v2');
      expect(hpa[0].spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: spec.name,
      });
      expect(hpa[0].spec.minReplicas).toBeGreaterThanOrEqual(1);
      expect(hpa[0].spec.maxReplicas).toBeGreaterThan(hpa[0].spec.minReplicas);
      // The autoscaler owns the count: a replicas field would reset it on every apply.
      expect(deployment.spec.replicas, `${spec.name} leaves replicas to its HPA`).toBeUndefined();
      expect(pdb[0].spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
      expect(pdb[0].spec.maxUnavailable).toBe(1);
    }
  });

  it('when the Ingress routes, then its paths are exactly the gateway table of services.json', () => {
    const [ingress] = find(overlay, 'Ingress');
    expect(find(overlay, 'Ingress')).toHaveLength(1);
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.rules).toHaveLength(1);
    const routes = ingress.spec.rules[0].http.paths.map((p: Any) => {
      expect(p.pathType).toBe('Prefix');
      const backend = one(overlay, 'Service', p.backend.service.name);
      const port = backend.spec.ports.find((sp: Any) => sp.name === p.backend.service.port.name);
      expect(port, `${p.path} port`).toBeDefined();
      return [p.path, p.backend.service.name, port.port];
    });
    const table = services.flatMap((s) => routesOf(s).map((route) => [route, s.name, s.port]));
    // The gateway's own page is the one addition (it assembles the API reference).
    const expected = [...table, ['/api/docs', 'gateway', portOf('gateway')]];
    expect(sortRoutes(routes)).toEqual(sortRoutes(expected));
  });

  it('when a routed service has no ready pod, then the Ingress falls back to the gateway', () => {
    const [ingress] = find(overlay, 'Ingress');
    const fallback = ingress.metadata.annotations['nginx.ingress.kubernetes.io/default-backend'];
    expect(fallback).toBe('gateway');
    // ingress-nginx uses the fallback Service's first port: the gateway's.
    expect(one(overlay, 'Service', fallback).spec.ports[0].port).toBe(portOf('gateway'));
  });

  it('when a seller uploads a ticket file of the largest size tickets takes, then nginx lets it through', () => {
    const [ingress] = find(overlay, 'Ingress');
    const limit = String(
      ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size'],
    );
    // nginx's size syntax: bytes, or k/m/g (binary multiples); 0 is no limit.
    const match = /^(\d+)([kKmMgG]?)$/.exec(limit);
    expect(match, `proxy-body-size ${limit}`).not.toBeNull();
    const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match![2]!.toLowerCase()]!;
    const bytes = Number(match![1]) * unit;
    if (bytes !== 0) expect(bytes).toBeGreaterThan(TICKET_FILE_MAX_BYTES);
  });

  it('when pods reference ConfigMaps and Secrets, then each exists or is a documented external Secret', () => {
    const kustomization = readFileSync(
      join(infraDir, `k8s/overlays/${overlay}/kustomization.yaml`),
      'utf8',
    );
    for (const workload of workloads(overlay)) {
      const pod = podSpecOf(workload);
      const refs: Array<[string, string]> = [];
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        for (const s of c.envFrom ?? []) {
          if (s.configMapRef) refs.push(['ConfigMap', s.configMapRef.name]);
          if (s.secretRef) refs.push(['Secret', s.secretRef.name]);
        }
        for (const e of c.env ?? []) {
          if (e.valueFrom?.configMapKeyRef)
            refs.push(['ConfigMap', e.valueFrom.configMapKeyRef.name]);
          if (e.valueFrom?.secretKeyRef) refs.push(['Secret', e.valueFrom.secretKeyRef.name]);
        }
      }
      for (const v of pod.volumes ?? []) {
        if (v.configMap) refs.push(['ConfigMap', v.configMap.name]);
        if (v.secret) refs.push(['Secret', v.secret.secretName]);
      }
      for (const [kind, name] of refs) {
        const where = `${workload.metadata.name} -> ${kind} ${name}`;
        if (find(overlay, kind, name).length === 1) continue;
        expect(kind, where).toBe('Secret');
        expect(externalSecrets[overlay], where).toContain(name);
        expect(kustomization, `${where} is documented in the overlay`).toContain(name);
      }
    }
  });

  it('when GitTix containers read their environment, then every key is documented', () => {
    const documented = documentedEnvKeys();
    for (const spec of services) {
      const env = effectiveEnv(overlay, one(overlay, 'Deployment', spec.name));
      const undocumented = Object.keys(env).filter(
        (k) => !documented.has(k) && !infraEnvKeys.has(k),
      );
      expect(undocumented, spec.name).toEqual([]);
    }
  });

  it.each(services)(
    'when $name starts, then it gets the connections services.json says it needs',
    (spec) => {
      const env = effectiveEnv(overlay, one(overlay, 'Deployment', spec.name));
      expect(env.NODE_ENV).toBe('production');
      expect(env.HOST).toBe('0.0.0.0');
      if (spec.database) {
        const url = new URL(env.DATABASE_URL!.replace(/<secret [^>]+>/g, 'x'));
        expect(url.protocol).toBe('postgres:');
        expect(url.pathname).toBe(`/${spec.database}`);
        expectServiceAt(overlay, url.hostname, Number(url.port));
        if (overlay === 'prod') {
          // Requests and handlers through the transaction pooler, the relay's LISTEN
          // through the session pooler, both as the service's own role.
          expect(poolModeOf(url.hostname)).toBe('transaction');
          const listen = new URL(env.DATABASE_LISTEN_URL!.replace(/<secret [^>]+>/g, 'x'));
          expect([listen.username, listen.pathname]).toEqual([spec.database, `/${spec.database}`]);
          expect(env.DATABASE_LISTEN_URL).toContain(`<secret gittix-db-${spec.database}/password>`);
          expect(poolModeOf(listen.hostname)).toBe('session');
          expectServiceAt(overlay, listen.hostname, Number(listen.port));
        } else {
          expect(env.DATABASE_LISTEN_URL).toBeUndefined();
        }
      } else {
        expect(env.DATABASE_URL === undefined || !podUsesDatabaseSecret(overlay, spec.name)).toBe(
          true,
        );
      }
      if (spec.nats) {
        const url = new URL(env.NATS_URL!);
        expectServiceAt(overlay, url.hostname, Number(url.port));
        expect(env.NATS_STREAM).toBeTruthy();
      }
      if (spec.redis) {
        expect(env.REDIS_URL).toMatch(/^redis:\/\/:<secret gittix-redis[-\w]*\/REDIS_PASSWORD>@/);
        const url = new URL(env.REDIS_URL!.replace(/<secret [^>]+>/g, 'x'));
        expectServiceAt(overlay, url.hostname, Number(url.port));
        if (overlay === 'prod') {
          // Through the Sentinels: one per Redis pod, by its stable name.
          const redis = one(overlay, 'StatefulSet', 'redis');
          const sentinels = env.REDIS_SENTINELS!.split(',');
          expect(sentinels).toEqual(
            Array.from(
              { length: redis.spec.replicas },
              (_, i) => `redis-${i}.${redis.spec.serviceName}:26379`,
            ),
          );
          expectServiceAt(overlay, redis.spec.serviceName, 26379);
          const conf = redisConfigScript();
          expect(conf).toContain('sentinel monitor $master_name');
          expect(conf).toContain(`master_name=\${REDIS_SENTINEL_NAME:-${env.REDIS_SENTINEL_NAME}}`);
        } else {
          expect(env.REDIS_SENTINELS).toBeUndefined();
        }
      }
      if (spec.name === 'auth')
        expect(env.JWT_PRIVATE_KEY).toBe('<secret gittix-jwt/JWT_PRIVATE_KEY>');
      if (spec.name === 'gateway') {
        for (const target of ['auth', 'tickets', 'orders', 'payments', 'web']) {
          const url = new URL(env[`${target.toUpperCase()}_URL`]!);
          expect(url.hostname).toBe(target);
          expect(Number(url.port)).toBe(portOf(target));
        }
      }
      if (spec.name === 'web') {
        const url = new URL(env.GATEWAY_URL!);
        expect([url.hostname, Number(url.port)]).toEqual(['gateway', portOf('gateway')]);
      }
      const jwks = new URL(env.AUTH_JWKS_URL!);
      expect([jwks.hostname, Number(jwks.port)]).toEqual(['auth', portOf('auth')]);
    },
  );

  it('when NATS runs, then it is a 3-node JetStream cluster on volumes with routes to every pod', () => {
    const nats = one(overlay, 'StatefulSet', 'nats');
    expect(nats.spec.replicas).toBe(3);
    expect(nats.spec.podManagementPolicy).toBe('Parallel');
    const headless = one(overlay, 'Service', nats.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    const container = podSpecOf(nats).containers[0];
    const configVolume = podSpecOf(nats).volumes.find((v: Any) => v.configMap);
    const conf: string = one(overlay, 'ConfigMap', configVolume.configMap.name).data['nats.conf'];
    const mount = container.volumeMounts.find((m: Any) => m.name === configVolume.name);
    expect(container.args).toEqual(['--config', `${mount.mountPath}/nats.conf`]);
    const routes = [...conf.matchAll(/nats:\/\/([\w.-]+):(\d+)/g)].map((m) => m[1]);
    const pods = Array.from({ length: 3 }, (_, i) => `nats-${i}.${nats.spec.serviceName}`);
    expect(routes).toEqual(pods);
    expect(conf).toMatch(/server_name:\s*\$POD_NAME/);
    expect(container.env.find((e: Any) => e.name === 'POD_NAME').valueFrom.fieldRef.fieldPath).toBe(
      'metadata.name',
    );
    const storeDir = /store_dir:\s*(\S+)/.exec(conf)?.[1];
    const dataMount = container.volumeMounts.find((m: Any) => m.mountPath === storeDir);
    expect(nats.spec.volumeClaimTemplates.map((t: Any) => t.metadata.name)).toContain(
      dataMount?.name,
    );
    expect(find(overlay, 'PodDisruptionBudget', 'nats')[0].spec.maxUnavailable).toBe(1);
    const lameDuck = Number(/lame_duck_duration:\s*(\d+)s/.exec(conf)?.[1]);
    expect(podSpecOf(nats).terminationGracePeriodSeconds).toBeGreaterThan(lameDuck);
  });

  it('when Postgres and Redis run, then they keep their data on persistent volumes', () => {
    const stores =
      overlay === 'dev'
        ? ([
            ['postgres', '/var/lib/postgresql/data'],
            ['redis', '/data'],
          ] as const)
        : ([['redis', '/data']] as const);
    for (const [name, dataPath] of stores) {
      const set = one(overlay, 'StatefulSet', name);
      const container = podSpecOf(set).containers[0];
      const mount = container.volumeMounts.find((m: Any) => m.mountPath === dataPath);
      expect(
        set.spec.volumeClaimTemplates.map((t: Any) => t.metadata.name),
        name,
      ).toContain(mount?.name);
      expect(container.readinessProbe, name).toBeDefined();
      expect(one(overlay, 'Service', set.spec.serviceName).spec.ports[0].port).toBe(
        name === 'postgres' ? 5432 : 6379,
      );
    }
    const redisArgs: string[] = podSpecOf(one(overlay, 'StatefulSet', 'redis')).containers[0].args;
    expect(redisArgs.join(' ')).toContain('--appendonly yes');
    expect(redisArgs.join(' ')).toContain('--maxmemory-policy noeviction');
    if (overlay === 'dev') {
      expect(podSpecOf(one(overlay, 'StatefulSet', 'postgres')).containers[0].image).toMatch(
        /^postgres:1[56]-/,
      );
    } else {
      const cluster = one(overlay, 'Cluster', 'gittix-pg');
      expect(quantity(cluster.spec.storage.size)).toBeGreaterThan(0);
      expect(quantity(cluster.spec.walStorage.size)).toBeGreaterThan(0);
      expect(cluster.spec.imageName).toMatch(/postgresql:1[56]\b/);
    }
  });
});

describe('the prod overlay on real engines', () => {
  const prodConfig = (): Record<string, string> =>
    configOf('prod', one('prod', 'Deployment', 'expiration'));

  it('when a Kubernetes node is lost, then it held at most one NATS node: anti-affinity is required in prod, preferred elsewhere', () => {
    const required = (overlay: Overlay) =>
      podSpecOf(one(overlay, 'StatefulSet', 'nats')).affinity?.podAntiAffinity
        ?.requiredDuringSchedulingIgnoredDuringExecution;
    const nats = one('prod', 'StatefulSet', 'nats');
    expect(required('prod')).toEqual([
      {
        topologyKey: 'kubernetes.io/hostname',
        labelSelector: { matchLabels: nats.spec.selector.matchLabels },
      },
    ]);
    // A one-node dev cluster must still schedule all three.
    expect(required('dev')).toBeUndefined();
    // Three nodes, every stream on all three: a node loss keeps the quorum.
    expect(nats.spec.replicas).toBe(3);
    expect(Number(prodConfig().NATS_STREAM_REPLICAS)).toBe(3);
  });

  it('when Redis runs in prod, then three pods on three nodes hold a Redis and a Sentinel each, the Sentinels agreeing by quorum', () => {
    const redis = one('prod', 'StatefulSet', 'redis');
    expect(redis.spec.replicas).toBe(3);
    const pod = podSpecOf(redis);
    expect(
      pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey,
    ).toBe('kubernetes.io/hostname');
    expect(pod.containers.map((c: Any) => c.name)).toEqual(['redis', 'sentinel']);
    expect(pod.containers[1].args).toContain('--sentinel');
    expect(pod.containers[0].args.join(' ')).toContain('--masterauth $(REDIS_PASSWORD)');
    const headless = one('prod', 'Service', redis.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    const script = redisConfigScript();
    const quorum = Number(/quorum=\$\{REDIS_SENTINEL_QUORUM:-(\d+)\}/.exec(script)?.[1]);
    expect(quorum).toBe(Math.floor(redis.spec.replicas / 2) + 1);
    expect(find('prod', 'PodDisruptionBudget', 'redis')[0].spec.maxUnavailable).toBe(1);
    // dev keeps its single Redis.
    expect(one('dev', 'StatefulSet', 'redis').spec.replicas).toBe(1);
  });

  it('when a Redis pod starts and no Sentinel answers, then pod 0 is the master and the others replicate from it', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'gittix-redis-config-'));
    try {
      const configFor = async (pod: string) => {
        const result = await run('sh', [join(infraDir, 'k8s/overlays/prod/data/redis-config.sh')], {
          env: {
            PATH: process.env.PATH ?? '',
            POD_NAME: pod,
            REDIS_PASSWORD: 'pw',
            // Names that resolve nowhere: no Sentinel answers, as on the very first start.
            REDIS_SERVICE: 'redis.gittix-test.invalid',
            REDIS_RUN_DIR: join(runDir, pod),
          },
        });
        expect(result.code, result.stderr).toBe(0);
        const read = (file: string) => readFileSync(join(runDir, pod, file), 'utf8');
        return { replica: read('replica.conf'), sentinel: read('sentinel.conf') };
      };
      const first = await configFor('redis-0');
      expect(first.replica).not.toContain('replicaof');
      expect(first.replica).toContain('replica-announce-ip redis-0.redis.gittix-test.invalid');
      const second = await configFor('redis-2');
      expect(second.replica).toContain('replicaof redis-0.redis.gittix-test.invalid 6379');
      expect(second.sentinel).toContain(
        'sentinel monitor gittix redis-0.redis.gittix-test.invalid 6379 2',
      );
      expect(second.sentinel).toContain('sentinel auth-pass gittix pw');
      expect(second.sentinel).toContain('sentinel announce-ip redis-2.redis.gittix-test.invalid');
      // With its namespace known, a pod announces and follows fully qualified names.
      const result = await run('sh', [join(infraDir, 'k8s/overlays/prod/data/redis-config.sh')], {
        env: {
          PATH: process.env.PATH ?? '',
          POD_NAME: 'redis-1',
          POD_NAMESPACE: 'gittix-test',
          CLUSTER_DOMAIN: 'invalid',
          REDIS_PASSWORD: 'pw',
          REDIS_RUN_DIR: join(runDir, 'fqdn'),
        },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(readFileSync(join(runDir, 'fqdn', 'replica.conf'), 'utf8')).toContain(
        'replicaof redis-0.redis.gittix-test.svc.invalid 6379',
      );
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  it('when PostgreSQL runs in prod, then it is one CloudNativePG Cluster of 3 on 3 nodes, synchronously replicated, backed up, behind its poolers', () => {
    const clusters = find('prod', 'Cluster');
    expect(clusters).toHaveLength(1);
    const [cluster] = clusters;
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.spec.affinity).toMatchObject({
      enablePodAntiAffinity: true,
      topologyKey: 'kubernetes.io/hostname',
      podAntiAffinityType: 'required',
    });
    expect(cluster.spec.postgresql.synchronous).toMatchObject({ number: 1 });
    // Everything that names a cluster names this one.
    for (const kind of ['Database', 'Pooler', 'ScheduledBackup']) {
      for (const obj of find('prod', kind))
        expect(obj.spec.cluster.name, `${kind} ${obj.metadata.name}`).toBe(cluster.metadata.name);
    }
    // Backups: WAL archived continuously, a base backup scheduled through the same store.
    expect(cluster.spec.backup.barmanObjectStore.destinationPath).toMatch(/^s3:\/\//);
    const credentials = cluster.spec.backup.barmanObjectStore.s3Credentials;
    expect(credentials.accessKeyId.name).toBe(credentials.secretAccessKey.name);
    expect(readFileSync(join(infraDir, 'k8s/overlays/prod/kustomization.yaml'), 'utf8')).toContain(
      credentials.accessKeyId.name,
    );
    const [backup] = find('prod', 'ScheduledBackup');
    expect(backup.spec.method).toBe('barmanObjectStore');
    // The poolers sized under max_connections: instances x databases x pool size.
    const databases = find('prod', 'Database').length;
    const serverConnections = find('prod', 'Pooler')
      .filter((p: Any) => p.spec.pgbouncer.poolMode === 'transaction')
      .reduce(
        (sum: number, p: Any) =>
          sum +
          p.spec.instances * databases * Number(p.spec.pgbouncer.parameters.default_pool_size),
        0,
      );
    expect(serverConnections).toBeLessThan(
      Number(cluster.spec.postgresql.parameters.max_connections),
    );
    for (const pooler of find('prod', 'Pooler')) {
      expect(pooler.spec.type).toBe('rw');
      // The label the services' NetworkPolicies (base) allow them to reach.
      expect(pooler.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('postgres');
    }
    expect(find('prod', 'PodDisruptionBudget', 'postgres-pooler')).toHaveLength(1);
    // The single-instance Postgres, its Job and the superuser Secret stay in dev.
    expect(find('prod', 'StatefulSet', 'postgres')).toEqual([]);
    expect(find('prod', 'Job', 'postgres-provision')).toEqual([]);
    expect(find('dev', 'Cluster')).toEqual([]);
  });

  it('when a worker falls behind, then KEDA scales it on the lag of every durable consumer it really creates', () => {
    const namespace = find('prod', 'Namespace')[0].metadata.name;
    const nats = one('prod', 'StatefulSet', 'nats');
    const headless = one('prod', 'Service', nats.spec.serviceName);
    const monitor = headless.spec.ports.find((p: Any) => p.name === 'monitor').port;
    const conf: string = one(
      'prod',
      'ConfigMap',
      podSpecOf(nats).volumes.find((v: Any) => v.configMap).configMap.name,
    ).data['nats-auth.conf'];
    // No accounts: every user is in the global account, the scaler's $G.
    expect(conf).not.toMatch(/^\s*accounts\s*[:{]/m);
    const workers = services.filter((s) => s.nats && !isRequestServing(s));
    expect(workers.map((s) => s.name).sort()).toEqual(['expiration', 'notifications']);
    for (const spec of workers) {
      const [scaled] = find('prod', 'ScaledObject', spec.name);
      const consumes = natsRoles[spec.name as keyof typeof natsRoles]
        .consumes as readonly Subject[];
      // session.revoked lives on the sessions stream, read by no durable consumer of GITTIX.
      const durables = consumes
        .filter((subject) => subject !== 'session.revoked')
        .map((subject) => durableName(spec.name, subject));
      expect(durables.length).toBeGreaterThan(0);
      const natsTriggers = scaled.spec.triggers.filter((t: Any) => t.type === 'nats-jetstream');
      expect(natsTriggers.map((t: Any) => t.metadata.consumer).sort()).toEqual(
        [...durables].sort(),
      );
      for (const trigger of natsTriggers) {
        expect(trigger.type).toBe('nats-jetstream');
        expect(trigger.metadata).toMatchObject({
          // On a cluster KEDA asks <server_name>.<endpoint>: the headless Service's pod names.
          natsServerMonitoringEndpoint: `${headless.metadata.name}.${namespace}.svc.cluster.local:${monitor}`,
          account: '$G',
          stream: prodConfig().NATS_STREAM,
        });
        expect(Number(trigger.metadata.lagThreshold)).toBeGreaterThan(0);
      }
    }
  });

  it('when expiry jobs fall due faster than expiration takes them, then KEDA scales it on the length of the BullMQ list they wait in', async () => {
    const config = prodConfig();
    const namespace = find('prod', 'Namespace')[0].metadata.name;
    const [scaled] = find('prod', 'ScaledObject', 'expiration');
    const redisTriggers = scaled.spec.triggers.filter((t: Any) => t.type === 'redis-sentinel');
    expect(redisTriggers).toHaveLength(1);
    const [trigger] = redisTriggers;
    const listName = `${config.QUEUE_PREFIX}:${EXPIRATION_QUEUE}:wait`;
    expect(trigger.metadata).toMatchObject({
      // The Sentinels expiration uses, by names that resolve from KEDA's namespace too.
      addresses: config
        .REDIS_SENTINELS!.split(',')
        .map((a) => a.replace(/^([^.]+\.[^.:]+):/, `$1.${namespace}.svc.cluster.local:`))
        .join(','),
      sentinelMaster: config.REDIS_SENTINEL_NAME,
      listName,
    });
    expect(Number(trigger.metadata.listLength)).toBeGreaterThan(0);
    const auth = one('prod', 'TriggerAuthentication', trigger.authenticationRef.name);
    expect(auth.spec.secretTargetRef).toEqual([
      { parameter: 'password', name: 'gittix-redis', key: 'REDIS_PASSWORD' },
      { parameter: 'sentinelPassword', name: 'gittix-redis', key: 'REDIS_PASSWORD' },
    ]);
    // The Sentinels announce fully qualified names when they know their namespace.
    const env = podSpecOf(one('prod', 'StatefulSet', 'redis')).initContainers[0].env;
    expect(env.find((e: Any) => e.name === 'POD_NAMESPACE').valueFrom.fieldRef.fieldPath).toBe(
      'metadata.namespace',
    );
    // BullMQ really keeps jobs that are due, and not yet taken, in that list.
    const prefix = uniqueName('kedaq');
    const redis = connectRedis(testInfra.redisUrl);
    const queue = new Queue(EXPIRATION_QUEUE, { connection: redis, prefix });
    try {
      await queue.add('expire', { orderId: 'o1' });
      await queue.add('expire', { orderId: 'o2' });
      expect(await redis.llen(listName.replace(config.QUEUE_PREFIX!, prefix))).toBe(2);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      await redis.quit();
    }
    // And KEDA may ask Redis and the Sentinels.
    const policy = one('prod', 'NetworkPolicy', 'redis');
    expect(
      policy.spec.ingress.some(
        (rule: Any) =>
          rule.from.some(
            (peer: Any) =>
              peer.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'keda',
          ) && rule.ports.some((p: Any) => p.port === 26379),
      ),
    ).toBe(true);
  });

  it('when KEDA asks NATS for consumer lag, then the network lets it reach only the monitoring port', () => {
    const policy = one('prod', 'NetworkPolicy', 'nats');
    const fromKeda = policy.spec.ingress.filter((rule: Any) =>
      rule.from.some(
        (peer: Any) =>
          peer.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'keda',
      ),
    );
    expect(fromKeda).toHaveLength(1);
    expect(fromKeda[0].ports).toEqual([{ port: 8222, protocol: 'TCP' }]);
    expect(
      one('dev', 'NetworkPolicy', 'nats').spec.ingress.some((rule: Any) =>
        JSON.stringify(rule).includes('keda'),
      ),
    ).toBe(false);
  });

  it('when a CloudNativePG or KEDA object is wrong, then schema validation names the problem', async () => {
    const pooler: Any = structuredClone(one('prod', 'Pooler', 'postgres'));
    pooler.spec.pgbouncer.poolMode = 'statement';
    pooler.spec.pgbouncer.poolmode = 'session';
    pooler.spec.template.spec.containers = [{ image: 3 }];
    const poolerErrors = (await schemaErrors(pooler)).join('\n');
    expect(poolerErrors).toMatch(
      /\/spec\/pgbouncer\/poolMode must be equal to one of the allowed values/,
    );
    expect(poolerErrors).toMatch(/must NOT have additional properties \(poolmode\)/);
    expect(poolerErrors).toMatch(/\/spec\/template .*name/);
    const cluster: Any = structuredClone(one('prod', 'Cluster', 'gittix-pg'));
    delete cluster.spec.instances;
    cluster.spec.backup.retentionPolicy = '30 days';
    const clusterErrors = (await schemaErrors(cluster)).join('\n');
    expect(clusterErrors).toMatch(/must have required property 'instances'/);
    expect(clusterErrors).toMatch(/retentionPolicy must match pattern/);
    const backup: Any = structuredClone(find('prod', 'ScheduledBackup')[0]);
    backup.spec.schedule = '0 3 * * *';
    expect((await schemaErrors(backup)).join('\n')).toMatch(/schedule must match pattern/);
    const scaled: Any = structuredClone(one('prod', 'ScaledObject', 'notifications'));
    scaled.spec.minReplicaCount = 'two';
    expect((await schemaErrors(scaled)).join('\n')).toMatch(/minReplicaCount/);
    scaled.spec.minReplicaCount = 2;
    scaled.spec.maxReplicas = 10;
    expect((await unknownFieldErrors([scaled])).join('\n')).toMatch(/maxReplicas/);
  });
});

describe('overlay differences', () => {
  it('when the dev overlay is used, then images are the local :dev builds', () => {
    for (const spec of services) {
      const image = podSpecOf(one('dev', 'Deployment', spec.name)).containers[0].image;
      expect(image).toBe(`gittix/${spec.name}:dev`);
    }
  });

  it('when the prod overlay is used, then images come from the registry images.yml pushes to', () => {
    for (const spec of services) {
      const image = podSpecOf(one('prod', 'Deployment', spec.name)).containers[0].image;
      expect(image).toMatch(new RegExp(`^ghcr\\.io/[a-z0-9-]+/gittix-${spec.name}:[\\w.-]+$`));
    }
  });

  it('when the prod overlay is rendered, then it contains no Secret (they are created out of band)', () => {
    expect(find('prod', 'Secret')).toEqual([]);
  });

  it('when prod takes payments, then Stripe is the provider and its key is required', () => {
    const payments = one('prod', 'Deployment', 'payments');
    expect(configOf('prod', payments).PAYMENTS_PROVIDER).toBe('stripe');
    const key = podSpecOf(payments).containers[0].env.find(
      (e: Any) => e.name === 'STRIPE_SECRET_KEY',
    );
    expect(key.valueFrom.secretKeyRef).toEqual({
      name: 'gittix-stripe',
      key: 'STRIPE_SECRET_KEY',
      optional: false,
    });
    expect(configOf('dev', one('dev', 'Deployment', 'payments')).PAYMENTS_PROVIDER).toBe('sandbox');
  });

  it('when notifications sends email, then SMTP_URL comes from the gittix-smtp Secret; dev sends to its own mail catcher', () => {
    const smtpRef = (overlay: Overlay) =>
      podSpecOf(one(overlay, 'Deployment', 'notifications')).containers[0].env.find(
        (e: Any) => e.name === 'SMTP_URL',
      ).valueFrom.secretKeyRef;
    // Created out of band in prod; generated (with a content hash) in dev.
    expect(smtpRef('prod')).toEqual({ name: 'gittix-smtp', key: 'SMTP_URL' });
    expect(smtpRef('dev').name).toMatch(/^gittix-smtp-[a-z0-9]{10}$/);
    const secret = one('dev', 'Secret', smtpRef('dev').name);
    const url = new URL(Buffer.from(secret.data[smtpRef('dev').key], 'base64').toString());
    expectServiceAt('dev', url.hostname, Number(url.port));
    expect(find('prod', 'Deployment', 'maildev')).toEqual([]);
  });

  it('when emails carry links, then they lead to the public address', () => {
    const devConfig = configOf('dev', one('dev', 'Deployment', 'notifications'));
    expect(devConfig.PUBLIC_URL).toBe(`http://localhost:${portOf('gateway')}`);
    const prodConfig = configOf('prod', one('prod', 'Deployment', 'notifications'));
    const [ingress] = find('prod', 'Ingress');
    expect(prodConfig.PUBLIC_URL).toBe(`https://${ingress.spec.rules[0].host}`);
  });

  it('when prod sends email, then it is from a real domain, not the local default', () => {
    const prodConfig = configOf('prod', one('prod', 'Deployment', 'notifications'));
    // Unset, notifications sends as `GitTix <no-reply@gittix.local>` (its local default),
    // which a real mail provider refuses (an unverified, unroutable sender domain).
    const from = prodConfig.EMAIL_FROM ?? '';
    expect(from, 'EMAIL_FROM in prod').not.toBe('');
    const address = addressOf(from);
    expect(address, `EMAIL_FROM ${from}`).toBeDefined();
    const domain = address!.split('@')[1]!;
    expect(domain).not.toMatch(/(^|\.)(local|localhost|localdomain)$/);
    // The same placeholder domain as the public host, so both are replaced together.
    const [ingress] = find('prod', 'Ingress');
    expect(domain).toBe(ingress.spec.rules[0].host);
  });

  it('when prod is exposed, then the Ingress has a host and TLS for it', () => {
    const [ingress] = find('prod', 'Ingress');
    const host = ingress.spec.rules[0].host;
    expect(host).toBeTruthy();
    expect(ingress.spec.tls).toEqual([{ hosts: [host], secretName: 'gittix-tls' }]);
  });

  it('when config changes, then generated names change so Deployments roll', () => {
    const dev = find('dev', 'ConfigMap').map((c: Any) => c.metadata.name);
    const prod = find('prod', 'ConfigMap').map((c: Any) => c.metadata.name);
    for (const name of [...dev, ...prod]) expect(name).toMatch(/-[a-z0-9]{10}$/);
    const devConfig = dev.find((n: string) => n.startsWith('gittix-config-'));
    const prodConfig = prod.find((n: string) => n.startsWith('gittix-config-'));
    expect(devConfig).not.toBe(prodConfig);
  });
});

// ---- helpers -----------------------------------------------------------------------------

function quantity(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(value);
  if (!m) throw new Error(`not a quantity: ${value}`);
  const factor: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(m[1]) * (m[2] ? factor[m[2]]! : 1);
}

function sortRoutes(routes: unknown[][]): unknown[][] {
  return [...routes].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

/** The PgBouncer pool mode of the CloudNativePG Pooler whose Service is `host` (prod). */
function poolModeOf(host: string): string {
  return one('prod', 'Pooler', host).spec.pgbouncer.poolMode;
}

/** The prod overlay's script that writes each Redis pod's replication and Sentinel config. */
function redisConfigScript(): string {
  return readFileSync(join(infraDir, 'k8s/overlays/prod/data/redis-config.sh'), 'utf8');
}

function expectServiceAt(overlay: Overlay, host: string, port: number): void {
  // A CloudNativePG Pooler: the operator makes a Service of its name on 5432.
  if (find(overlay, 'Pooler', host).length === 1) {
    expect(port, `${host}:${port}`).toBe(5432);
    return;
  }
  const service = one(overlay, 'Service', host);
  expect(
    service.spec.ports.map((p: Any) => p.port),
    `${host}:${port}`,
  ).toContain(port);
}

function podUsesDatabaseSecret(overlay: Overlay, name: string): boolean {
  const env: Any[] = podSpecOf(one(overlay, 'Deployment', name)).containers[0].env ?? [];
  return env.some((e) => JSON.stringify(e.valueFrom ?? {}).includes('gittix-postgres'));
}

/**
 * infra/k8s rendered by `kubectl kustomize` (the base and every overlay) and held
 * against the Kubernetes schemas, services.json and the README's configuration table.
 */
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  healthOf,
  infraDir,
  infraEnvKeys,
  isRequestServing,
  type Probe,
  portOf,
  routesOf,
  services,
} from './lib/repo.js';

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
    const monitor = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'tickets' },
      spec: { endpoints: [{ port: 'http' }], selector: {} },
    };
    expect(modelPackages['monitoring.coreos.com']).toBeUndefined();
    const [error] = await schemaErrors(monitor);
    expect(error).toContain('no schema for monitoring.coreos.com/v1 ServiceMonitor');
    expect(error).toContain("modelPackages['monitoring.coreos.com']");
    // The unknown-field pass leaves it to schemaErrors instead of failing to compile.
    expect(await unknownFieldErrors([monitor])).toEqual([]);
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
    'gittix-postgres',
    'gittix-jwt',
    'gittix-nats',
    'gittix-db',
    'gittix-db-owner',
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

  it('when a request-serving service is deployed, then an autoscaler and a disruption budget cover it', () => {
    for (const spec of services) {
      const hpa = find(overlay, 'HorizontalPodAutoscaler', spec.name);
      const pdb = find(overlay, 'PodDisruptionBudget', spec.name);
      const deployment = one(overlay, 'Deployment', spec.name);
      if (!isRequestServing(spec)) {
        expect(hpa, spec.name).toHaveLength(0);
        expect(deployment.spec.replicas, `${spec.name} has a fixed count`).toBeGreaterThan(0);
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
    for (const [name, dataPath] of [
      ['postgres', '/var/lib/postgresql/data'],
      ['redis', '/data'],
    ] as const) {
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
    expect(podSpecOf(one(overlay, 'StatefulSet', 'postgres')).containers[0].image).toMatch(
      /^postgres:1[56]-/,
    );
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

function expectServiceAt(overlay: Overlay, host: string, port: number): void {
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

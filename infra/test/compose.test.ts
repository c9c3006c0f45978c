/**
 * infra/compose.yaml held against the Compose specification's JSON schema (shipped
 * in the `dclint` package), services.json, the README's configuration table and the health
 * endpoints each process really has.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { composeAlertRulesFile, renderComposeAlertRules } from '../scripts/alert-rules.js';
import { environmentOf, InterpolationError, interpolateAll } from './lib/compose.js';
import {
  defaultShutdownTimeoutMs,
  documentedEnvKeys,
  eventsProcessOf,
  healthOf,
  infraEnvKeys,
  portOf,
  processNamesOf,
  readYaml,
  repoRoot,
  services,
  type Yaml,
} from './lib/repo.js';
import { closedPort, fakeServer, run } from './lib/run.js';

/** The exporter containers the monitoring component adds beside NATS, Postgres and Redis. */
function monitoringSidecars(): Yaml[] {
  return ['nats', 'postgres', 'redis'].flatMap(
    (name) =>
      readYaml<Yaml>(`infra/k8s/components/monitoring/patches/${name}-exporter.yaml`).spec.template
        .spec.containers,
  );
}

const compose: Yaml = readYaml('infra/compose.yaml');
const schemaPath = join(
  dirname(createRequire(import.meta.url).resolve('dclint/package.json')),
  'schemas',
  'compose.schema.json',
);

function composeValidator() {
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
  // Ajv knows draft-07 by its http:// id; the spec file names it with https://.
  delete schema.$schema;
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

let sessionKeys: Promise<Record<string, string>> | undefined;
/** infra/.env as `node infra/scripts/session-keys.mjs > infra/.env` writes it (made once). */
function sessionKeysEnv(): Promise<Record<string, string>> {
  sessionKeys ??= run('node', [join(repoRoot, 'infra/scripts/session-keys.mjs')]).then((result) => {
    if (result.code !== 0) throw new Error(`session-keys.mjs failed: ${result.stderr}`);
    return parseDotenv(result.stdout);
  });
  return sessionKeys;
}

/** Compose as it runs: interpolated with the .env the README tells people to make. */
async function resolvedCompose(): Promise<Yaml> {
  return interpolateAll(compose, await sessionKeysEnv());
}

const durationSeconds = (value: string): number => {
  const m = /^(\d+)(ms|s|m)$/.exec(value);
  if (!m) throw new Error(`not a duration: ${value}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] as 'ms' | 's' | 'm'];
};

describe('compose.yaml', () => {
  it('when validated against the Compose specification schema, then it conforms', () => {
    const validate = composeValidator();
    const valid = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('when a service carries a misspelt key, then the schema rejects it', () => {
    const validate = composeValidator();
    expect(
      validate({ services: { api: { image: 'x', healthcheck: { tset: ['CMD', 'true'] } } } }),
    ).toBe(false);
    expect(validate({ services: { api: { imagee: 'x' } } })).toBe(false);
  });

  it('when the session keys are missing, then Compose stops with the command that makes them', () => {
    expect(() => interpolateAll(compose, {})).toThrow(InterpolationError);
    expect(() => interpolateAll(compose, {})).toThrow(/infra\/scripts\/session-keys\.mjs/);
  });

  it('when infra/.env comes from the key script, then every variable resolves', async () => {
    const resolved = await resolvedCompose();
    expect(environmentOf(resolved.services.auth).JWT_PRIVATE_KEY).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n/,
    );
    expect(environmentOf(resolved.services.tickets).JWT_PUBLIC_KEY).toMatch(
      /^-----BEGIN PUBLIC KEY-----\n/,
    );
  });

  it('when listing services, then Compose runs exactly services.json plus its infrastructure', () => {
    // By default: the observability profile's services start only when asked for.
    const names = Object.keys(compose.services)
      .filter((name) => !compose.services[name].profiles)
      .sort();
    expect(names).toEqual(
      [
        ...services.flatMap(processNamesOf),
        ...services.filter((s) => s.database).map((s) => `${s.name}-migrate`),
        'maildev',
        'nats',
        'postgres',
        'postgres-init',
        'redis',
      ].sort(),
    );
  });

  it.each(services)(
    'when $name is built, then it comes from infra/docker with its own target',
    (spec) => {
      const service = compose.services[spec.name];
      expect(service.build.context).toBe('..');
      if (spec.name === 'web') {
        expect(service.build.dockerfile).toBe('infra/docker/web.Dockerfile');
      } else {
        expect(service.build.dockerfile).toBe('infra/docker/Dockerfile');
        expect(service.build.args).toEqual({ SERVICE: spec.name });
      }
      expect(service.image).toBe(`gittix/${spec.name}:local`);
    },
  );

  it.each(services)(
    'when $name starts, then its environment connects it as services.json says',
    async (spec) => {
      const resolved = await resolvedCompose();
      const env = environmentOf(resolved.services[spec.name]);
      expect(env.PORT).toBe(String(spec.port));
      expect(env.NODE_ENV).toBe('production');
      expect(env.HOST).toBe('0.0.0.0');
      const target = (value: string | null | undefined) => {
        const url = new URL(value ?? '');
        expect(
          resolved.services[url.hostname],
          `${url.hostname} is a Compose service`,
        ).toBeDefined();
        return url;
      };
      if (spec.database) {
        const url = target(env.DATABASE_URL);
        expect([url.hostname, url.port, url.pathname]).toEqual([
          'postgres',
          '5432',
          `/${spec.database}`,
        ]);
      } else {
        expect(env.DATABASE_URL).toBeUndefined();
      }
      if (spec.nats) expect(target(env.NATS_URL).port).toBe('4222');
      else expect(env.NATS_URL).toBeUndefined();
      if (spec.redis) {
        const url = target(env.REDIS_URL);
        expect(url.port).toBe('6379');
        // Redis requires a password: the URL carries the one it is started with.
        const password = resolved.services.redis.command.at(-1);
        expect(decodeURIComponent(url.password)).toBe(password);
      } else expect(env.REDIS_URL).toBeUndefined();
      if (spec.name === 'gateway') {
        for (const name of ['auth', 'tickets', 'orders', 'payments', 'web']) {
          const url = target(env[`${name.toUpperCase()}_URL`]);
          expect([url.hostname, Number(url.port)]).toEqual([name, portOf(name)]);
        }
      }
      if (spec.name === 'web') {
        const url = target(env.GATEWAY_URL);
        expect([url.hostname, Number(url.port)]).toEqual(['gateway', portOf('gateway')]);
      }
      if (spec.name === 'notifications') {
        const url = target(env.SMTP_URL);
        expect([url.protocol, url.hostname, url.port]).toEqual(['smtp:', 'maildev', '1025']);
      }
      // Email links, and where Stripe Connect onboarding sends a seller back.
      if (spec.name === 'notifications' || spec.name === 'payments') {
        expect(env.PUBLIC_URL).toBe(`http://localhost:${portOf('gateway')}`);
      }
    },
  );

  it.each(services.filter((s) => s.consumersApart))(
    'when $name runs, then it serves requests and a process of the same image and settings consumes its events',
    async (spec) => {
      const resolved = await resolvedCompose();
      const api = resolved.services[spec.name];
      const consumers = resolved.services[eventsProcessOf(spec.name)];
      const { CONSUME_EVENTS, ...apiEnv } = environmentOf(api);
      expect(CONSUME_EVENTS).toBe('false');
      expect(environmentOf(consumers)).toEqual(apiEnv);
      expect(consumers.image).toBe(api.image);
      expect(consumers.depends_on).toEqual(api.depends_on);
      expect(consumers.healthcheck).toEqual(api.healthcheck);
      expect(consumers.ports, 'nothing sends it requests').toBeUndefined();
    },
  );

  it('when GitTix containers read their environment, then every key is documented', () => {
    const documented = documentedEnvKeys();
    for (const name of services.flatMap(processNamesOf)) {
      const keys = Object.keys(environmentOf(compose.services[name]));
      const undocumented = keys.filter((k) => !documented.has(k) && !infraEnvKeys.has(k));
      expect(undocumented, name).toEqual([]);
    }
  });

  it('when secrets reach containers, then they come from the environment, never the file', () => {
    for (const spec of services) {
      const env = environmentOf(compose.services[spec.name]);
      for (const key of ['JWT_PRIVATE_KEY', 'JWT_PUBLIC_KEY', 'STRIPE_SECRET_KEY']) {
        if (!(key in env)) continue;
        expect(
          env[key] === null || /^\$\{\w+(:\?[^}]*)?\}$/.test(env[key]!),
          `${spec.name} ${key}`,
        ).toBe(true);
      }
    }
    expect(compose.services.auth.environment.JWT_PRIVATE_KEY).toMatch(/^\$\{JWT_PRIVATE_KEY:\?/);
  });

  it.each(services)(
    'when $name is checked for health, then Compose probes its real endpoint',
    (spec) => {
      const health = healthOf(spec);
      const test: string[] = compose.services[spec.name].healthcheck.test;
      expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      if (health.readiness.kind === 'http') {
        expect(test[3]).toContain(`'${health.readiness.path}'`);
      } else {
        expect(test[3]).toContain("require('node:net').connect(");
      }
    },
  );

  it('when a healthcheck command runs, then it passes on 200 and fails on 503 or no answer', async () => {
    const commands = [
      ...new Set(services.map((s) => compose.services[s.name].healthcheck.test[3] as string)),
    ];
    const ok = await fakeServer(() => 200);
    const failing = await fakeServer(() => 503);
    const closed = await closedPort();
    const exitCode = async (script: string, port: number) =>
      (await run('node', ['-e', script], { env: { PORT: String(port) } })).code;
    try {
      await Promise.all(
        commands.map(async (script) => {
          expect(await exitCode(script, ok.port), script).toBe(0);
          expect(await exitCode(script, closed), script).toBe(1);
          if (!script.includes('node:net'))
            expect(await exitCode(script, failing.port), script).toBe(1);
        }),
      );
    } finally {
      await ok.close();
      await failing.close();
    }
  });

  it('when Compose starts things, then each waits for what it needs to be healthy', () => {
    const needs = (name: string): string[] => {
      const spec = services.find((s) => s.name === name)!;
      const out: string[] = [];
      // Its schema, migrated by its own migrate step (which waits for the roles).
      if (spec.database) out.push(`${name}-migrate`);
      if (spec.nats) out.push('nats');
      if (spec.redis) out.push('redis');
      if (name === 'gateway') out.push(...services.filter((s) => s.route).map((s) => s.name));
      return out.sort();
    };
    for (const spec of services) {
      const dependsOn = compose.services[spec.name].depends_on ?? {};
      expect(Object.keys(dependsOn).sort(), spec.name).toEqual(needs(spec.name));
      for (const [target, condition] of Object.entries(dependsOn) as Array<[string, Yaml]>) {
        if (target === `${spec.name}-migrate`) {
          expect(condition.condition, `${spec.name} -> ${target}`).toBe(
            'service_completed_successfully',
          );
          continue;
        }
        expect(condition.condition, `${spec.name} -> ${target}`).toBe('service_healthy');
        expect(compose.services[target].healthcheck, `${target} has a healthcheck`).toBeDefined();
      }
    }
    expect(compose.services['postgres-init'].depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
    });
    for (const spec of services.filter((s) => s.database)) {
      expect(compose.services[`${spec.name}-migrate`].depends_on, spec.name).toEqual({
        'postgres-init': { condition: 'service_completed_successfully' },
      });
    }
    // No cycles: a depth-first walk never meets a service twice on one path.
    const visit = (name: string, path: string[]): void => {
      expect(path, `cycle through ${name}`).not.toContain(name);
      for (const next of Object.keys(compose.services[name].depends_on ?? {}))
        visit(next, [...path, name]);
    };
    for (const name of Object.keys(compose.services)) visit(name, []);
  });

  it('when the stack is up, then only the gateway and the mail inbox are published', () => {
    const published = ['gateway', 'maildev'];
    for (const [name, service] of Object.entries(compose.services) as Array<[string, Yaml]>) {
      if (published.includes(name) || service.profiles) continue;
      expect(service.ports, name).toBeUndefined();
    }
    expect(interpolateAll(compose.services.gateway.ports, {})).toEqual([
      `${portOf('gateway')}:${portOf('gateway')}`,
    ]);
    expect(interpolateAll(compose.services.maildev.ports, {})).toEqual(['1080:1080']);
  });

  it('when GitTix containers run, then they are locked down and stop gracefully', () => {
    for (const name of services.flatMap(processNamesOf)) {
      const service = compose.services[name];
      expect(service.read_only, name).toBe(true);
      expect(service.tmpfs, name).toContain('/tmp');
      expect(service.cap_drop, name).toEqual(['ALL']);
      expect(service.security_opt, name).toContain('no-new-privileges:true');
      expect(service.init, name).toBe(true);
      expect(service.restart, name).toBe('unless-stopped');
      const shutdownMs = Number(
        environmentOf(service).SHUTDOWN_TIMEOUT_MS ?? defaultShutdownTimeoutMs,
      );
      expect(durationSeconds(service.stop_grace_period) * 1000, name).toBeGreaterThan(shutdownMs);
    }
  });

  it('when data services run, then each keeps its data on a named volume', () => {
    const { postgres, nats, redis } = compose.services;
    expect(postgres.image).toMatch(/^postgres:1[56](-alpine)?(@sha256:[0-9a-f]{64})?$/);
    expect(postgres.volumes).toContain('postgres-data:/var/lib/postgresql/data');
    const natsArgs: string[] = nats.command;
    expect(natsArgs).toContain('-js');
    const storeDir = natsArgs[natsArgs.indexOf('-sd') + 1];
    expect(nats.volumes).toContain(`nats-data:${storeDir}`);
    expect(redis.command.join(' ')).toContain('--appendonly yes');
    expect(redis.command.join(' ')).toMatch(/--requirepass \S+/);
    expect(redis.command.join(' ')).toContain('--maxmemory-policy noeviction');
    expect(redis.volumes).toContain('redis-data:/data');
    expect(Object.keys(compose.volumes).sort()).toEqual([
      'nats-data',
      'postgres-data',
      'redis-data',
    ]);
    for (const name of ['postgres', 'nats', 'redis']) {
      expect(compose.services[name].healthcheck?.test, name).toBeDefined();
    }
  });
});

describe('compose.yaml: the migrate step of each database', () => {
  it.each(services.filter((s) => s.database))(
    'when $name-migrate runs, then it is the service’s own image with --migrate, as the database’s owner, once',
    async (spec) => {
      const migrate = compose.services[`${spec.name}-migrate`];
      const service = compose.services[spec.name];
      expect(migrate.image).toBe(service.image);
      expect(migrate.build).toEqual(service.build);
      expect(migrate.command).toEqual(['node', 'dist/main.bundle.js', '--migrate']);
      expect(migrate.restart).toBe('no');
      expect(migrate.read_only).toBe(true);
      expect(migrate.cap_drop).toEqual(['ALL']);
      expect(migrate.ports).toBeUndefined();
      const resolved = await resolvedCompose();
      const env = await sessionKeysEnv();
      const upper = spec.database!.toUpperCase();
      const owner = new URL(environmentOf(resolved.services[`${spec.name}-migrate`]).DATABASE_URL!);
      expect(owner.username).toBe(`${spec.database}_owner`);
      expect(owner.password).toBe(env[`POSTGRES_OWNER_PASSWORD_${upper}`]);
      expect(owner.pathname).toBe(`/${spec.database}`);
      // The service itself never gets the owner's password.
      const runtime = environmentOf(resolved.services[spec.name]);
      expect(JSON.stringify(runtime)).not.toContain(env[`POSTGRES_OWNER_PASSWORD_${upper}`]!);
      expect(new URL(runtime.DATABASE_URL!).username).toBe(spec.database);
    },
  );
});

describe('compose.yaml, observability profile', () => {
  const exporters = ['nats-exporter', 'postgres-exporter', 'redis-exporter'];
  const profile = ['otel-collector', 'jaeger', 'prometheus', 'grafana', ...exporters];
  const readObservability = (file: string): Yaml => readYaml(`infra/observability/${file}`);
  const hostPort = (target: string) => {
    const [host, port] = target.split(':');
    return { host: host!, port: Number(port) };
  };

  it('when no profile is named, then none of the collector, Jaeger, Prometheus, Grafana or the exporters starts', () => {
    const inProfile = Object.entries(compose.services as Record<string, Yaml>)
      .filter(([, service]) => service.profiles?.includes('observability'))
      .map(([name]) => name)
      .sort();
    expect(inProfile).toEqual([...profile].sort());
  });

  it.each(services.filter((s) => s.name !== 'web'))(
    'when $name starts, then it exports traces only if OTEL_EXPORTER_OTLP_ENDPOINT is set, to the profile collector',
    async (spec) => {
      const keys = await sessionKeysEnv();
      const off = environmentOf(interpolateAll(compose, keys).services[spec.name]);
      expect(off.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('');
      const on = environmentOf(
        interpolateAll(compose, {
          ...keys,
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
        }).services[spec.name],
      );
      const url = new URL(on.OTEL_EXPORTER_OTLP_ENDPOINT ?? '');
      expect(compose.services[url.hostname]?.profiles).toContain('observability');
      const collector = readObservability('otel-collector.yaml');
      expect(hostPort(collector.receivers.otlp.protocols.http.endpoint).port).toBe(
        Number(url.port),
      );
    },
  );

  it('when the collector receives spans, then its traces pipeline ends in Jaeger over OTLP', () => {
    const collector = readObservability('otel-collector.yaml');
    const [pipeline] = Object.values(collector.service.pipelines) as Yaml[];
    expect(pipeline.receivers).toEqual(['otlp']);
    for (const name of pipeline.exporters) {
      const target = hostPort(collector.exporters[name].endpoint);
      expect(target).toEqual({ host: 'jaeger', port: 4317 });
    }
    expect(compose.services['otel-collector'].volumes).toContain(
      './observability/otel-collector.yaml:/etc/otelcol/config.yaml:ro',
    );
    expect(compose.services.jaeger.environment.COLLECTOR_OTLP_ENABLED).toBe('true');
  });

  it('when Prometheus scrapes, then it reaches every service that answers /metrics to it (all but the gateway, which answers only itself, and web) and the three exporters', () => {
    const config = readObservability('prometheus.yml');
    const targets = config.scrape_configs.flatMap((job: Yaml) =>
      job.static_configs.flatMap((c: Yaml) => c.targets.map(hostPort)),
    );
    const scraped = services
      .filter((s) => s.name !== 'web' && s.name !== 'gateway')
      .flatMap((s) => processNamesOf(s).map((host) => ({ host, port: s.port })));
    const exporterTargets = exporters.map((name) => {
      const sidecar = monitoringSidecars().find((c) => c.name === name);
      return { host: name, port: sidecar.ports[0].containerPort };
    });
    expect(targets).toEqual(expect.arrayContaining([...scraped, ...exporterTargets]));
    expect(targets).toHaveLength(scraped.length + exporterTargets.length);
    expect(environmentOf(compose.services.gateway).OPS_ENDPOINTS).toBe('local');
    expect(compose.services.prometheus.volumes).toContain(
      './observability/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
  });

  it('when Prometheus starts, then it loads the alert rules of the monitoring component, regenerated whenever they change (npm run infra:alert-rules)', () => {
    expect(readFileSync(composeAlertRulesFile, 'utf8')).toBe(renderComposeAlertRules());
    const { groups } = readObservability('alert-rules.yml');
    const rule = readYaml<Yaml>('infra/k8s/components/monitoring/prometheus-rule.yaml');
    expect(groups).toEqual(rule.spec.groups);
    expect(groups.flatMap((g: Yaml) => g.rules.map((r: Yaml) => r.alert))).toContain(
      'GittixConsumerStalled',
    );
    const config = readObservability('prometheus.yml');
    const mount = (compose.services.prometheus.volumes as string[]).find((v) =>
      v.startsWith('./observability/alert-rules.yml:'),
    );
    // rule_files are read relative to the config file's directory.
    expect(config.rule_files.map((f: string) => join('/etc/prometheus', f))).toEqual([
      mount?.split(':')[1],
    ]);
  });

  it('when the exporters start, then each runs the image and settings of the monitoring component’s sidecar, pointed at its Compose service', async () => {
    const resolved = await resolvedCompose();
    const sidecar = (name: string) => monitoringSidecars().find((c) => c.name === name);
    const nats = sidecar('nats-exporter');
    expect(resolved.services['nats-exporter'].image).toBe(nats.image);
    expect(resolved.services['nats-exporter'].command).toEqual(
      nats.args.map((a: string) => a.replace('http://localhost:8222', 'http://nats:8222')),
    );
    expect(resolved.services.nats.command.join(' ')).toContain('-m 8222');
    for (const name of exporters) {
      expect(resolved.services[name]).toMatchObject({ read_only: true, cap_drop: ['ALL'] });
      expect(resolved.services[name].ports).toBeUndefined();
    }
    for (const [name, target] of [
      ['postgres-exporter', 'postgres'],
      ['redis-exporter', 'redis'],
    ] as const) {
      const k8s = sidecar(name);
      expect(resolved.services[name].image).toBe(k8s.image);
      const env = environmentOf(resolved.services[name]);
      expect(Object.keys(env).sort()).toEqual(k8s.env.map((e: Yaml) => e.name).sort());
      expect(Object.values(env).join(' ')).toMatch(new RegExp(`(^|//)${target}:\\d+`));
      expect(resolved.services[name].depends_on[target].condition).toBe('service_healthy');
    }
    const env = await sessionKeysEnv();
    expect(environmentOf(resolved.services['redis-exporter']).REDIS_PASSWORD).toBe(
      env.REDIS_PASSWORD ?? 'redis',
    );
    expect(environmentOf(resolved.services['postgres-exporter']).DATA_SOURCE_PASS).toBe(
      env.POSTGRES_PASSWORD ?? 'postgres',
    );
  });

  it('when Grafana starts, then it has Prometheus and Jaeger as data sources and the GitTix dashboard', () => {
    const { datasources } = readObservability('grafana/provisioning/datasources/datasources.yaml');
    expect(datasources.map((d: Yaml) => [d.type, new URL(d.url).hostname]).sort()).toEqual([
      ['jaeger', 'jaeger'],
      ['prometheus', 'prometheus'],
    ]);
    const { providers } = readObservability('grafana/provisioning/dashboards/dashboards.yaml');
    const mount = (compose.services.grafana.volumes as string[]).find((v) =>
      v.endsWith(`:${providers[0].options.path}:ro`),
    );
    expect(mount).toBeDefined();
    const dashboards = join(repoRoot, 'infra', mount!.split(':')[0]!);
    expect(JSON.parse(readFileSync(join(dashboards, 'gittix.json'), 'utf8')).uid).toBe(
      'gittix-overview',
    );
  });

  it('when the profile publishes its UIs, then each on a port of its own, none clashing with GitTix', () => {
    const ports = profile
      .flatMap((name) => interpolateAll(compose.services[name].ports ?? [], {}) as string[])
      .map((p) => Number(p.split(':')[0]));
    expect(ports.sort((a, b) => a - b)).toEqual([3300, 9090, 16686]);
    expect(ports).not.toContain(portOf('gateway'));
    expect(ports).not.toContain(1080);
  });
});

describe('infra/scripts/session-keys.mjs', () => {
  it('when its .env output is loaded, then the two keys are a working Ed25519 pair', async () => {
    const { createPrivateKey, createPublicKey, sign, verify } = await import('node:crypto');
    const env = await sessionKeysEnv();
    const privateKey = createPrivateKey(env.JWT_PRIVATE_KEY!);
    const publicKey = createPublicKey(env.JWT_PUBLIC_KEY!);
    expect(privateKey.asymmetricKeyType).toBe('ed25519');
    const signature = sign(null, Buffer.from('session'), privateKey);
    expect(verify(null, Buffer.from('session'), publicKey, signature)).toBe(true);
  });

  it('when asked for Kubernetes Secrets, then it prints gittix-jwt and gittix-nats for that namespace', async () => {
    const { parseAllDocuments } = await import('yaml');
    const result = await run('node', [
      join(repoRoot, 'infra/scripts/session-keys.mjs'),
      '--k8s',
      'gittix-dev',
    ]);
    expect(result.code).toBe(0);
    const [secret, nats] = parseAllDocuments(result.stdout).map((doc) => doc.toJS());
    expect(nats.metadata).toMatchObject({ name: 'gittix-nats', namespace: 'gittix-dev' });
    expect(Object.keys(nats.stringData)).toContain('NATS_PASSWORD_PAYMENTS');
    expect(secret.metadata).toMatchObject({ name: 'gittix-jwt', namespace: 'gittix-dev' });
    expect(Object.keys(secret.stringData).sort()).toEqual([
      'EMAIL_TOKEN_KEY',
      'JWT_PRIVATE_KEY',
      'JWT_PUBLIC_KEY',
    ]);
    expect(Buffer.from(secret.stringData.EMAIL_TOKEN_KEY, 'base64')).toHaveLength(32);
    expect(secret.stringData.JWT_PRIVATE_KEY).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/,
    );
  });

  it('when asked for Kubernetes Secrets, then each database’s runtime role and owner get a basic-auth Secret of their own, with different passwords', async () => {
    const { parseAllDocuments } = await import('yaml');
    const result = await run('node', [
      join(repoRoot, 'infra/scripts/session-keys.mjs'),
      '--k8s',
      'gittix',
    ]);
    expect(result.code).toBe(0);
    const docs = parseAllDocuments(result.stdout).map((doc) => doc.toJS());
    const dbServices = services.filter((s) => s.database);
    expect(dbServices.length).toBeGreaterThan(0);
    for (const spec of dbServices) {
      const role = docs.find((d) => d.metadata.name === `gittix-db-${spec.database}`);
      const owner = docs.find((d) => d.metadata.name === `gittix-db-${spec.database}-owner`);
      for (const [secret, username] of [
        [role, spec.database],
        [owner, `${spec.database}_owner`],
      ]) {
        expect(secret, `${spec.name} ${username}`).toMatchObject({
          type: 'kubernetes.io/basic-auth',
          metadata: { namespace: 'gittix' },
          stringData: { username },
        });
        expect(secret.stringData.password).toMatch(/^[\w-]{20,}$/);
      }
      expect(owner.stringData.password).not.toBe(role.stringData.password);
    }
    // The Opaque bundles the dev overlay generates itself are not printed.
    expect(docs.map((d) => d.metadata.name)).not.toContain('gittix-db-owner');
    expect(docs.map((d) => d.metadata.name)).not.toContain('gittix-db');
  });

  it('when given a bad namespace, then it refuses with exit code 2', async () => {
    const result = await run('node', [
      join(repoRoot, 'infra/scripts/session-keys.mjs'),
      '--k8s',
      'Bad_NS',
    ]);
    expect(result.code).toBe(2);
  });
});

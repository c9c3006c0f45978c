/**
 * docs/security.md held to the infrastructure: NATS users and permissions in
 * Compose and Kubernetes, rendered by `kubectl kustomize`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsPasswordVariable, natsRoleNames } from '@gittix/common';
import { testInfra, uniqueName } from '@gittix/common/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { natsAuthFile, renderNatsAuth } from '../scripts/nats-auth.js';
// @ts-expect-error: a plain ES module script without types
import { generateNatsPasswords, NATS_USERS } from '../scripts/session-keys.mjs';
import { environmentOf } from './lib/compose.js';
import { kustomize, type Resource } from './lib/kubectl.js';
import {
  type Yaml as Any,
  eventsProcessOf,
  processNamesOf,
  readRepoFile,
  readYaml,
  repoRoot,
  services,
} from './lib/repo.js';
import { run } from './lib/run.js';

const overlays = ['dev', 'prod'] as const;
const rendered: Record<(typeof overlays)[number], Resource[]> = {
  dev: kustomize('infra/k8s/overlays/dev'),
  prod: kustomize('infra/k8s/overlays/prod'),
};
const compose: Any = readYaml('infra/compose.yaml');
const natsServices = services.filter((s) => s.nats);

describe('NATS users in Compose and Kubernetes', () => {
  it('when the roles change, then nats-auth.conf is regenerated (npm run infra:nats-auth)', () => {
    expect(readRepoFile('infra/k8s/base/data/nats-auth.conf')).toBe(renderNatsAuth());
    expect(natsAuthFile.pathname).toMatch(/nats-auth\.conf$/);
  });

  it('when infra/.env or the Secret is made, then every NATS user gets a password', () => {
    expect([...NATS_USERS].sort()).toEqual(['admin', ...natsRoleNames].sort());
  });

  it('when the key script makes NATS passwords, then each reads as a string in nats-auth.conf', async () => {
    const sets = Array.from(
      { length: 300 },
      () => generateNatsPasswords() as Record<string, string>,
    );
    // nats-server parses `$NATS_PASSWORD_<USER>` as a config value: `-…` or a digit
    // first may lex as a number and the server refuses its configuration.
    const unsafe = sets
      .flatMap((set) => Object.values(set))
      .filter((password) => !/^[A-Za-z][A-Za-z0-9_-]{15,}$/.test(password));
    expect(unsafe).toEqual([]);
    // And the real parser, where it is installed (.ci/run starts it; `-t` only checks).
    const server = await run('sh', ['-c', 'command -v nats-server']);
    if (server.code !== 0) return;
    const dir = mkdtempSync(join(tmpdir(), 'nats-auth-'));
    try {
      const config = join(dir, 'nats-auth.conf');
      writeFileSync(config, readRepoFile('infra/k8s/base/data/nats-auth.conf'));
      for (const set of sets.slice(0, 40)) {
        const result = await run(server.stdout.trim(), ['-c', config, '-t'], { env: set });
        expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when Compose runs NATS, then it reads the users and each service connects as its own', () => {
    const nats = compose.services.nats;
    expect(nats.command.join(' ')).toContain('-c /etc/nats/nats-auth.conf');
    expect(nats.volumes).toContain('./k8s/base/data/nats-auth.conf:/etc/nats/nats-auth.conf:ro');
    for (const user of NATS_USERS as string[]) {
      expect(nats.environment[natsPasswordVariable(user)], user).toMatch(
        new RegExp(`^\\$\\{${natsPasswordVariable(user)}:\\?`),
      );
    }
    for (const spec of natsServices) {
      const env = environmentOf(compose.services[spec.name]);
      expect(env.NATS_USER, spec.name).toBe(spec.name);
      expect(env.NATS_PASSWORD, spec.name).toContain(`\${${natsPasswordVariable(spec.name)}:?`);
    }
  });

  it.each(overlays)(
    'when the %s overlay runs NATS, then it includes the users and each service connects as its own',
    (overlay) => {
      const objects = rendered[overlay] as Any[];
      const natsSet = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'nats');
      const container = natsSet.spec.template.spec.containers[0];
      const secretName = overlay === 'dev' ? expect.stringMatching(/^gittix-nats-/) : 'gittix-nats';
      expect(container.envFrom).toContainEqual({ secretRef: { name: secretName } });
      const configName = natsSet.spec.template.spec.volumes.find((v: Any) => v.name === 'config')
        .configMap.name;
      const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === configName);
      expect(config.data['nats.conf']).toContain('include ./nats-auth.conf');
      expect(config.data['nats-auth.conf']).toBe(renderNatsAuth());
      for (const spec of natsServices) {
        const deployment = objects.find(
          (o) => o.kind === 'Deployment' && o.metadata.name === spec.name,
        );
        const env = deployment.spec.template.spec.containers[0].env as Any[];
        expect(env.find((e) => e.name === 'NATS_USER')?.value, spec.name).toBe(spec.name);
        expect(env.find((e) => e.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
          name: secretName,
          key: natsPasswordVariable(spec.name),
        });
      }
    },
  );
});

describe('the public port in Compose', () => {
  it('when the gateway is published, then its /metrics and /readyz answer only its own healthcheck', () => {
    const gateway = compose.services.gateway;
    expect(gateway.ports).toHaveLength(1);
    expect(environmentOf(gateway).OPS_ENDPOINTS).toBe('local');
    // The healthcheck runs inside the container: a loopback connection.
    expect(JSON.stringify(gateway.healthcheck.test)).toContain("'http://127.0.0.1:'");
  });
});

describe('Postgres roles in Compose and Kubernetes', () => {
  const dbServices = services.filter((s) => s.database);

  it('when Compose runs a service with a database, then it connects as its runtime role after its migrate step ran as the owner', () => {
    for (const spec of dbServices) {
      const env = environmentOf(compose.services[spec.name]);
      const url = new URL(env.DATABASE_URL!.replace(/\$\{[^}]+\}/g, 'x'));
      expect(url.username, spec.name).toBe(spec.database);
      expect(env.DATABASE_URL).toContain(`\${POSTGRES_PASSWORD_${spec.database!.toUpperCase()}:?`);
    }
    for (const spec of dbServices) {
      const migrate = environmentOf(compose.services[`${spec.name}-migrate`]);
      const url = new URL(migrate.DATABASE_URL!.replace(/\$\{[^}]+\}/g, 'x'));
      expect(url.username, spec.name).toBe(`${spec.database}_owner`);
      expect(migrate.DATABASE_URL).toContain(
        `\${POSTGRES_OWNER_PASSWORD_${spec.database!.toUpperCase()}:?`,
      );
      expect(migrate.DATABASE_RUNTIME_ROLE, spec.name).toBe(spec.database);
      expect(compose.services[spec.name].depends_on[`${spec.name}-migrate`]).toEqual({
        condition: 'service_completed_successfully',
      });
    }
    const init = compose.services['postgres-init'];
    expect(init.volumes).toContain('./k8s/single-node-data/postgres-provision.sh:/provision.sh:ro');
  });

  it.each(overlays)(
    'when the %s overlay runs, then only Postgres and its provisioning Job read the superuser (none in prod)',
    (overlay) => {
      const objects = rendered[overlay] as Any[];
      const readers = objects
        .filter((o) => o.spec?.template?.spec?.containers)
        .filter((o) => JSON.stringify(o.spec.template.spec).includes('"gittix-postgres'))
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort();
      expect(readers).toEqual(
        overlay === 'dev' ? ['Job/postgres-provision', 'StatefulSet/postgres'] : [],
      );
      for (const [spec, name] of dbServices.flatMap((s) =>
        processNamesOf(s).map((name) => [s, name] as const),
      )) {
        const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
        const env = deployment.spec.template.spec.containers[0].env as Any[];
        expect(env.find((e) => e.name === 'POSTGRES_USER')?.value, spec.name).toBe(spec.database);
        expect(env.find((e) => e.name === 'POSTGRES_PASSWORD')?.valueFrom?.secretKeyRef).toEqual(
          overlay === 'dev'
            ? {
                name: expect.stringMatching(/^gittix-db-[a-z0-9]{10}$/),
                key: `POSTGRES_PASSWORD_${spec.database!.toUpperCase()}`,
              }
            : { name: `gittix-db-${spec.database}`, key: 'password' },
        );
      }
    },
  );

  it('when prod runs CloudNativePG, then each database has an owner and a runtime role (passwords from the Secrets the pods read), the owner owning the database, both reaching only it', () => {
    const objects = rendered.prod as Any[];
    const cluster = objects.find((o) => o.kind === 'Cluster');
    expect(cluster.spec.enableSuperuserAccess).toBe(false);
    const roles = cluster.spec.managed.roles as Any[];
    expect(roles.map((r) => r.name).sort()).toEqual(
      dbServices.flatMap((s) => [s.database, `${s.database}_owner`]).sort(),
    );
    const hba: string[] = cluster.spec.postgresql.pg_hba;
    const databasesOf = (role: string) =>
      hba
        .filter((line) => line.split(/\s+/)[2]!.split(',').includes(role))
        .map((line) => line.split(/\s+/)[1])
        .sort();
    for (const spec of dbServices) {
      const owner = `${spec.database}_owner`;
      for (const [name, secret] of [
        [spec.database!, `gittix-db-${spec.database}`],
        [owner, `gittix-db-${spec.database}-owner`],
      ]) {
        const role = roles.find((r) => r.name === name);
        expect(role, name).toMatchObject({
          login: true,
          inherit: false,
          passwordSecret: { name: secret },
        });
        for (const power of ['superuser', 'createdb', 'createrole', 'replication', 'bypassrls'])
          expect(role[power] ?? false, `${name} ${power}`).toBe(false);
      }
      const databases = objects.filter(
        (o) => o.kind === 'Database' && o.spec.name === spec.database,
      );
      expect(databases, spec.name).toHaveLength(1);
      expect(databases[0].spec).toMatchObject({
        owner,
        cluster: { name: cluster.metadata.name },
      });
      // The runtime role: its own database (and `postgres`, where it checks that its
      // database exists); the owner: its own database only.
      expect(databasesOf(spec.database!), spec.name).toEqual([spec.database, 'postgres'].sort());
      expect(databasesOf(owner), owner).toEqual([spec.database]);
    }
    expect(hba.at(-1)).toBe('host all all all reject');
  });

  it('when session-keys.mjs --k8s makes prod’s Secrets, then it makes every role, NATS and session Secret prod reads, and none prod does not', async () => {
    const { parseAllDocuments } = await import('yaml');
    const result = await run('node', [
      join(repoRoot, 'infra/scripts/session-keys.mjs'),
      '--k8s',
      'gittix',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const printed = parseAllDocuments(result.stdout)
      .map((doc) => doc.toJS().metadata.name as string)
      .sort();
    const read = new Set<string>();
    JSON.stringify(rendered.prod, (key, value) => {
      if (key === 'secretKeyRef' || key === 'secretRef' || key === 'passwordSecret') {
        read.add(value.name);
      }
      return value;
    });
    expect(printed).toEqual(
      [...read].filter((name) => /^gittix-(jwt|nats|db)(-|$)/.test(name)).sort(),
    );
    expect(printed).toContain('gittix-db-tickets-owner');
  });
});

describe('the migrate step in Kubernetes: an initContainer per database service, as the owner', () => {
  const dbServices = services.filter((s) => s.database);

  it.each(overlays)(
    'when the %s overlay runs a service with a database, then its initContainer migrates with the owner Secret and the service runs with the runtime one',
    (overlay) => {
      const objects = rendered[overlay] as Any[];
      // dev: the generated bundles gittix-db-owner-<hash> / gittix-db-<hash>; prod: the
      // basic-auth Secret of each CloudNativePG role (data/postgres.yaml).
      const ownerSecret = (database: string) =>
        overlay === 'dev'
          ? {
              name: expect.stringMatching(/^gittix-db-owner-/),
              key: `POSTGRES_OWNER_PASSWORD_${database.toUpperCase()}`,
            }
          : { name: `gittix-db-${database}-owner`, key: 'password' };
      const runtimeSecret = (database: string) =>
        overlay === 'dev'
          ? expect.stringMatching(/^gittix-db-(?!owner)[a-z0-9]+$/)
          : `gittix-db-${database}`;
      for (const spec of dbServices) {
        const deployment = objects.find(
          (o) => o.kind === 'Deployment' && o.metadata.name === spec.name,
        );
        const pod = deployment.spec.template.spec;
        const [app] = pod.containers;
        expect(pod.initContainers, spec.name).toHaveLength(1);
        const [migrate] = pod.initContainers;
        expect(migrate.name).toBe('migrate');
        expect(migrate.image, spec.name).toBe(app.image);
        expect(migrate.command, spec.name).toEqual(['node', 'dist/main.bundle.js', '--migrate']);
        const env = Object.fromEntries((migrate.env as Any[]).map((e) => [e.name, e]));
        expect(env.POSTGRES_USER.value, spec.name).toBe(`${spec.database}_owner`);
        expect(env.POSTGRES_PASSWORD.valueFrom.secretKeyRef).toEqual(ownerSecret(spec.database!));
        expect(env.DATABASE_URL.value).toBe(
          `postgres://$(POSTGRES_USER):$(POSTGRES_PASSWORD)@$(POSTGRES_HOST):$(POSTGRES_PORT)/${spec.database}`,
        );
        // Kubernetes expands $(VAR) only of variables listed before (no envFrom here).
        const names = (migrate.env as Any[]).map((e) => e.name);
        for (const name of ['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_HOST', 'POSTGRES_PORT'])
          expect(names.indexOf(name), `${spec.name} ${name}`).toBeLessThan(
            names.indexOf('DATABASE_URL'),
          );
        // prod has no superuser Job: the owner grants the runtime role after migrating.
        expect(env.DATABASE_RUNTIME_ROLE.value, spec.name).toBe(spec.database);
        if (overlay === 'prod') {
          // A session, not the transaction pooler the service uses (data/poolers.yaml).
          expect(env.POSTGRES_HOST).toEqual({ name: 'POSTGRES_HOST', value: 'postgres-session' });
          const pooler = objects.find(
            (o) => o.kind === 'Pooler' && o.metadata.name === env.POSTGRES_HOST.value,
          );
          expect(pooler.spec.pgbouncer.poolMode).toBe('session');
        }
        expect(migrate.securityContext.readOnlyRootFilesystem).toBe(true);

        const appEnv = Object.fromEntries((app.env as Any[]).map((e) => [e.name, e]));
        expect(appEnv.POSTGRES_USER.value, spec.name).toBe(spec.database);
        expect(appEnv.POSTGRES_PASSWORD.valueFrom.secretKeyRef.name).toEqual(
          runtimeSecret(spec.database!),
        );
        expect(JSON.stringify(app), `${spec.name} reads no owner password`).not.toMatch(
          /"gittix-db-(owner|[a-z]+-owner)/,
        );
        expect(appEnv.DATABASE_RUNTIME_ROLE, spec.name).toBeUndefined();
      }
    },
  );

  it.each(overlays)(
    'when the %s overlay runs, then only the provisioning Job and the migrate initContainers read the owners’ Secret',
    (overlay) => {
      const readers: string[] = [];
      for (const o of (rendered[overlay] as Any[]).filter((r) => r.spec?.template?.spec)) {
        const pod = o.spec.template.spec;
        for (const [kind, list] of [
          ['container', pod.containers ?? []],
          ['initContainer', pod.initContainers ?? []],
        ] as const) {
          for (const c of list as Any[]) {
            if (/"gittix-db-(owner|[a-z]+-owner)/.test(JSON.stringify(c))) {
              readers.push(`${o.kind}/${o.metadata.name} ${kind} ${c.name}`);
            }
          }
        }
      }
      expect(readers.sort()).toEqual(
        [
          // prod has no provisioning Job: CloudNativePG sets the roles' passwords.
          ...(overlay === 'dev' ? ['Job/postgres-provision container provision'] : []),
          ...dbServices
            .flatMap(processNamesOf)
            .map((name) => `Deployment/${name} initContainer migrate`),
        ].sort(),
      );
    },
  );
});

describe('the prod migrate step’s network path', () => {
  it('when a database service’s pod migrates through the session pooler, then the NetworkPolicies let it in (and still keep web out)', () => {
    const objects = rendered.prod as Any[];
    const labelsOf = (kind: string, name: string): Labels =>
      objects.find((o) => o.kind === kind && o.metadata.name === name).spec.template.metadata
        .labels;
    const sessionPooler = labelsOf('Pooler', 'postgres-session');
    const instances = objects.find((o) => o.kind === 'Cluster').spec.inheritedMetadata.labels;
    for (const spec of services.filter((s) => s.database)) {
      expect(
        allowed(objects, labelsOf('Deployment', spec.name), sessionPooler, 5432),
        spec.name,
      ).toBe(true);
    }
    expect(allowed(objects, sessionPooler, instances, 5432)).toBe(true);
    expect(allowed(objects, labelsOf('Deployment', 'web'), sessionPooler, 5432)).toBe(false);
  });
});

describe('infra/k8s/single-node-data/postgres-provision.sh (Compose postgres-init, Kubernetes postgres-provision)', () => {
  const prefix = uniqueName('psh');
  const [mine, theirs] = [`${prefix}_a`, `${prefix}_b`];
  const server = new URL(testInfra.postgresUrl);
  const roleUrl = (role: string, database: string) =>
    `postgres://${role}:pw@${server.host}/${database}`;
  async function query(url: string, text: string) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  }
  const provision = () =>
    run('sh', [join(repoRoot, 'infra/k8s/single-node-data/postgres-provision.sh')], {
      env: {
        ...(process.env as Record<string, string>),
        PGHOST: server.hostname,
        PGPORT: server.port || '5432',
        PGUSER: decodeURIComponent(server.username || 'postgres'),
        PGPASSWORD: decodeURIComponent(server.password),
        GITTIX_DATABASES: `${mine} ${theirs}`,
        [`POSTGRES_PASSWORD_${mine.toUpperCase()}`]: 'pw',
        [`POSTGRES_PASSWORD_${theirs.toUpperCase()}`]: 'pw',
        [`POSTGRES_OWNER_PASSWORD_${mine.toUpperCase()}`]: 'pw',
        [`POSTGRES_OWNER_PASSWORD_${theirs.toUpperCase()}`]: 'pw',
      },
    });

  afterAll(async () => {
    const admin = `${testInfra.postgresUrl}/postgres`;
    for (const name of [mine, theirs]) {
      await query(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await query(admin, `DROP ROLE IF EXISTS "${name}"`);
      await query(admin, `DROP ROLE IF EXISTS "${name}_owner"`);
    }
  });

  it('when it has run (twice), then the owner changes the schema, the runtime role only the rows, and neither reaches the other database or creates one', async () => {
    for (let i = 0; i < 2; i++) {
      const result = await provision();
      expect(result.code, result.stderr).toBe(0);
    }
    const owner = `${mine}_owner`;
    await query(roleUrl(owner, mine), 'CREATE TABLE mine (id int)');
    await query(roleUrl(mine, mine), 'INSERT INTO mine VALUES (1)');
    await query(roleUrl(mine, mine), 'UPDATE mine SET id = 2');
    expect(await query(roleUrl(mine, mine), 'SELECT id FROM mine')).toEqual([{ id: 2 }]);
    await expect(query(roleUrl(mine, mine), 'CREATE TABLE intruder (id int)')).rejects.toThrow(
      /permission denied for schema public/,
    );
    await expect(query(roleUrl(mine, mine), 'DROP TABLE mine')).rejects.toThrow(/must be owner/);
    for (const role of [mine, owner]) {
      await expect(query(roleUrl(role, theirs), 'SELECT 1')).rejects.toThrow(
        /permission denied for database/,
      );
      await expect(query(roleUrl(role, mine), 'CREATE DATABASE nope')).rejects.toThrow(
        /permission denied/,
      );
    }
  });

  it('when a password is missing, then it stops before touching anything', async () => {
    const result = await run(
      'sh',
      [join(repoRoot, 'infra/k8s/single-node-data/postgres-provision.sh')],
      {
        env: { PATH: process.env.PATH ?? '', GITTIX_DATABASES: `${prefix}_never` },
      },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`POSTGRES_PASSWORD_${prefix.toUpperCase()}_NEVER`);
    const ownerless = await run(
      'sh',
      [join(repoRoot, 'infra/k8s/single-node-data/postgres-provision.sh')],
      {
        env: {
          PATH: process.env.PATH ?? '',
          GITTIX_DATABASES: `${prefix}_never`,
          [`POSTGRES_PASSWORD_${prefix.toUpperCase()}_NEVER`]: 'pw',
        },
      },
    );
    expect(ownerless.code).toBe(2);
    expect(ownerless.stderr).toContain(`POSTGRES_OWNER_PASSWORD_${prefix.toUpperCase()}_NEVER`);
  });
});

type Labels = Record<string, string>;
const matches = (selector: Any, labels: Labels) =>
  Object.entries((selector?.matchLabels ?? {}) as Labels).every(([k, v]) => labels[k] === v) &&
  (selector?.matchExpressions ?? []).length === 0;
const podTemplates = (objects: Any[]) => objects.filter((o) => o.spec?.template?.spec?.containers);
const policies = (objects: Any[]) => objects.filter((o) => o.kind === 'NetworkPolicy');

/**
 * Whether a pod labelled `from` may open a connection to a pod labelled `to` on
 * `port`, by the rendered NetworkPolicies (same namespace, pod selectors): an
 * egress rule of a policy selecting `from` and an ingress rule of one selecting `to`.
 */
function allowed(objects: Any[], from: Labels, to: Labels, port: number): boolean {
  const permits = (rules: Any[], peerKey: 'to' | 'from', peer: Labels) =>
    rules.some(
      (rule) =>
        (rule.ports ?? []).some((p: Any) => p.port === port) &&
        (rule[peerKey] ?? []).some(
          (target: Any) =>
            target.podSelector && !target.namespaceSelector && matches(target.podSelector, peer),
        ),
    );
  const out = policies(objects).some(
    (p) => matches(p.spec.podSelector, from) && permits(p.spec.egress ?? [], 'to', to),
  );
  const into = policies(objects).some(
    (p) => matches(p.spec.podSelector, to) && permits(p.spec.ingress ?? [], 'from', from),
  );
  return out && into;
}

describe.each(overlays)('the %s overlay’s network', (overlay) => {
  const objects = rendered[overlay] as Any[];
  const labelsOf = (name: string): Labels =>
    podTemplates(objects).find((o) => o.metadata.name === name).spec.template.metadata.labels;

  it('when rendered, then a default-deny policy covers every pod, in and out', () => {
    const deny = policies(objects).find((p) => p.metadata.name === 'default-deny');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('when any pod runs, then a policy of its own names what it may receive and reach', () => {
    for (const workload of podTemplates(objects)) {
      const labels = workload.spec.template.metadata.labels;
      const own = policies(objects).filter(
        (p) => Object.keys(p.spec.podSelector).length > 0 && matches(p.spec.podSelector, labels),
      );
      expect(own.length, `${workload.kind}/${workload.metadata.name}`).toBeGreaterThan(0);
      expect(own.flatMap((p) => p.spec.policyTypes).sort()).toEqual(['Egress', 'Ingress']);
    }
  });

  it('when the web pod is compromised, then it reaches neither Redis, NATS nor Postgres, only the gateway', () => {
    const web = labelsOf('web');
    expect(allowed(objects, web, labelsOf('redis'), 6379)).toBe(false);
    expect(allowed(objects, web, labelsOf('nats'), 4222)).toBe(false);
    expect(allowed(objects, web, labelsOf('postgres'), 5432)).toBe(false);
    expect(allowed(objects, web, labelsOf('payments'), 3005)).toBe(false);
    // The paths that must stay open (so the check above is not vacuous).
    expect(allowed(objects, web, labelsOf('gateway'), 3000)).toBe(true);
    expect(allowed(objects, labelsOf('expiration'), labelsOf('redis'), 6379)).toBe(true);
    expect(allowed(objects, labelsOf('payments'), labelsOf('nats'), 4222)).toBe(true);
    expect(allowed(objects, labelsOf('orders'), labelsOf('postgres'), 5432)).toBe(true);
    expect(allowed(objects, labelsOf('tickets'), labelsOf('auth'), 3001)).toBe(true);
    if (overlay === 'dev') {
      expect(allowed(objects, labelsOf('postgres-provision'), labelsOf('postgres'), 5432)).toBe(
        true,
      );
    } else {
      // The poolers reach the CloudNativePG instances; the services do not.
      const instance = { 'app.kubernetes.io/name': 'postgres-instance' };
      expect(allowed(objects, labelsOf('postgres'), instance, 5432)).toBe(true);
      expect(allowed(objects, web, instance, 5432)).toBe(false);
      for (const spec of services)
        expect(allowed(objects, labelsOf(spec.name), instance, 5432), spec.name).toBe(false);
      expect(allowed(objects, labelsOf('expiration'), labelsOf('redis'), 26379)).toBe(true);
      expect(allowed(objects, web, labelsOf('redis'), 26379)).toBe(false);
    }
  });

  it('when the services talk, then only publishers and consumers reach NATS and only expiration Redis', () => {
    for (const spec of services) {
      for (const name of processNamesOf(spec)) {
        const labels = labelsOf(name);
        expect(allowed(objects, labels, labelsOf('nats'), 4222), name).toBe(spec.nats);
        expect(allowed(objects, labels, labelsOf('redis'), 6379), name).toBe(spec.redis);
        expect(allowed(objects, labels, labelsOf('postgres'), 5432), name).toBe(
          spec.database !== null,
        );
      }
    }
  });

  it('when a service’s events are consumed apart, then the gateway reaches its API pods and nothing reaches its consuming ones', () => {
    const apart = services.filter((s) => s.consumersApart);
    expect(apart.length).toBeGreaterThan(0);
    for (const spec of apart) {
      const consumers = labelsOf(eventsProcessOf(spec.name));
      expect(allowed(objects, labelsOf('gateway'), labelsOf(spec.name), spec.port)).toBe(true);
      for (const from of ['gateway', 'web', 'auth', 'tickets', 'payments']) {
        expect(allowed(objects, labelsOf(from), consumers, spec.port), from).toBe(false);
      }
    }
  });

  it('when any pod (a Job included) references a ConfigMap or Secret, then it exists or is created out of band', () => {
    const external = overlay === 'dev' ? ['gittix-jwt', 'gittix-stripe'] : [];
    const kustomization = readRepoFile(`infra/k8s/overlays/${overlay}/kustomization.yaml`);
    for (const workload of podTemplates(objects)) {
      const text = JSON.stringify(workload.spec.template.spec);
      const refs = [
        ...[...text.matchAll(/"(secretRef|secretKeyRef)":\{[^}]*"name":"([^"]+)"/g)].map(
          (m) => ['Secret', m[2]!] as const,
        ),
        ...[
          ...text.matchAll(/"(configMapRef|configMapKeyRef|configMap)":\{[^}]*"name":"([^"]+)"/g),
        ].map((m) => ['ConfigMap', m[2]!] as const),
      ];
      for (const [kind, name] of refs) {
        const where = `${workload.kind}/${workload.metadata.name} -> ${kind} ${name}`;
        if (objects.some((o) => o.kind === kind && o.metadata.name === name)) continue;
        expect(kind, where).toBe('Secret');
        if (overlay === 'dev') expect(external, where).toContain(name);
        expect(kustomization, `${where} is documented in the overlay`).toContain(name);
      }
    }
  });
});

#!/usr/bin/env node
// Makes a fresh Ed25519 key pair for session JWTs (auth signs with the private key,
// the other services verify with the public one) and a random password per NATS
// user (infra/k8s/base/data/nats-auth.conf) and per Postgres role (each database's
// runtime role and its owner, which migrates), and prints them for one target:
//
//   node infra/scripts/session-keys.mjs > infra/.env
//       dotenv lines for Docker Compose (JWT_*, NATS_PASSWORD_*, POSTGRES_PASSWORD_*,
//       POSTGRES_OWNER_PASSWORD_*)
//   node infra/scripts/session-keys.mjs --k8s gittix-dev | kubectl apply -f -
//       the Secrets `gittix-jwt`, `gittix-nats` and `gittix-db` in that namespace, and
//       `gittix-db-<database>` (kubernetes.io/basic-auth, the same passwords) that
//       CloudNativePG's managed roles and the prod overlay's services read
//       the Secrets `gittix-jwt`, `gittix-nats`, `gittix-db` (runtime roles) and
//       `gittix-db-owner` (owners: only the migrate step and provisioning read it)
//
// Nothing is written to disk by the script itself. A new pair signs everyone out.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const SECRET_NAME = 'gittix-jwt';
const NATS_SECRET_NAME = 'gittix-nats';
/** NATS users: the admin and every service of natsRoles (infra/test/security.test.ts checks). */
export const NATS_USERS = [
  'admin',
  'auth',
  'tickets',
  'orders',
  'expiration',
  'payments',
  'notifications',
];

/** Databases of services.json: each gets a role of its name (infra/k8s/single-node-data/postgres-provision.sh). */
export const DATABASES = ['auth', 'tickets', 'orders', 'payments', 'notifications'];

/** POSTGRES_PASSWORD_<DATABASE> → a fresh random password for that service's role. */
export function generateDatabasePasswords() {
  return Object.fromEntries(
    DATABASES.map((db) => [
      `POSTGRES_PASSWORD_${db.toUpperCase()}`,
      randomBytes(24).toString('base64url'),
    ]),
  );
}

/** POSTGRES_OWNER_PASSWORD_<DATABASE> → a fresh random password for that database's owner. */
export function generateOwnerPasswords() {
  return Object.fromEntries(
    DATABASES.map((db) => [
      `POSTGRES_OWNER_PASSWORD_${db.toUpperCase()}`,
      randomBytes(24).toString('base64url'),
    ]),
  );
}

/** NATS_PASSWORD_<USER> → a fresh random password (URL-safe, no quoting needed). */
export function generateNatsPasswords() {
  return Object.fromEntries(
    NATS_USERS.map((user) => [
      `NATS_PASSWORD_${user.toUpperCase()}`,
      randomBytes(24).toString('base64url'),
    ]),
  );
}

export function generateSessionKeys() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** One dotenv line; Compose turns `\n` inside double quotes back into newlines. */
function dotenvLine(key, pem) {
  return `${key}="${pem.trimEnd().split('\n').join('\\n')}"`;
}

export function toDotenv(keys, natsPasswords = {}, databasePasswords = {}, ownerPasswords = {}) {
  return [
    '# Session signing keys for infra/compose.yaml (made by infra/scripts/session-keys.mjs).',
    dotenvLine('JWT_PRIVATE_KEY', keys.privateKeyPem),
    dotenvLine('JWT_PUBLIC_KEY', keys.publicKeyPem),
    '# A password per NATS user: each service may publish only its own subjects.',
    ...Object.entries(natsPasswords).map(([key, value]) => `${key}=${value}`),
    '# A password per service role in Postgres: reads and writes only its database.',
    ...Object.entries(databasePasswords).map(([key, value]) => `${key}=${value}`),
    "# A password per database's owner: only the migrate step uses it.",
    ...Object.entries(ownerPasswords).map(([key, value]) => `${key}=${value}`),
    '',
  ].join('\n');
}

function yamlBlock(pem) {
  return pem
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

export function toKubernetesSecret(keys, namespace) {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
    throw new Error(`not a namespace name: ${namespace}`);
  }
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${SECRET_NAME}`,
    `  namespace: ${namespace}`,
    '  labels:',
    '    app.kubernetes.io/part-of: gittix',
    'type: Opaque',
    'stringData:',
    '  JWT_PRIVATE_KEY: |',
    yamlBlock(keys.privateKeyPem),
    '  JWT_PUBLIC_KEY: |',
    yamlBlock(keys.publicKeyPem),
    '',
  ].join('\n');
}

export function toKubernetesPasswordSecret(name, passwords, namespace) {
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    '  labels:',
    '    app.kubernetes.io/part-of: gittix',
    'type: Opaque',
    'stringData:',
    ...Object.entries(passwords).map(([key, value]) => `  ${key}: ${value}`),
    '',
  ].join('\n');
}

/**
 * The role of one database as CloudNativePG's managed roles want it: a basic-auth
 * Secret `gittix-db-<database>` (username, password). The prod overlay's services
 * read their password from it too, so the role and its user never disagree.
 */
export function toKubernetesRoleSecret(database, password, namespace) {
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: gittix-db-${database}`,
    `  namespace: ${namespace}`,
    '  labels:',
    '    app.kubernetes.io/part-of: gittix',
    'type: kubernetes.io/basic-auth',
    'stringData:',
    `  username: ${database}`,
    `  password: ${password}`,
    '',
  ].join('\n');
}

function main(argv) {
  const keys = generateSessionKeys();
  const natsPasswords = generateNatsPasswords();
  const databasePasswords = generateDatabasePasswords();
  const ownerPasswords = generateOwnerPasswords();
  if (argv.length === 0) return toDotenv(keys, natsPasswords, databasePasswords, ownerPasswords);
  if (argv[0] === '--k8s' && argv.length === 2) {
    return [
      toKubernetesSecret(keys, argv[1]),
      toKubernetesPasswordSecret(NATS_SECRET_NAME, natsPasswords, argv[1]),
      toKubernetesPasswordSecret('gittix-db', databasePasswords, argv[1]),
      ...DATABASES.map((db) =>
        toKubernetesRoleSecret(
          db,
          databasePasswords[`POSTGRES_PASSWORD_${db.toUpperCase()}`],
          argv[1],
        ),
      ),
      toKubernetesPasswordSecret('gittix-db-owner', ownerPasswords, argv[1]),
    ].join('---\n');
  }
  throw new Error('usage: session-keys.mjs [--k8s <namespace>]');
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  try {
    process.stdout.write(main(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

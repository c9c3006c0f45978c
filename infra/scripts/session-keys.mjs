#!/usr/bin/env node
// Makes a fresh Ed25519 key pair for session JWTs (auth signs with the private key,
// the other services verify with the public one), the key auth and notifications seal
// emailed links' tokens with (EMAIL_TOKEN_KEY), and a random password per NATS
// user (infra/k8s/base/data/nats-auth.conf) and per Postgres role (each database's
// runtime role and its owner, which migrates), and prints them for one target:
//
//   node infra/scripts/session-keys.mjs > infra/.env
//       dotenv lines for Docker Compose (JWT_*, NATS_PASSWORD_*, POSTGRES_PASSWORD_*,
//       POSTGRES_OWNER_PASSWORD_*)
//   node infra/scripts/session-keys.mjs --k8s gittix | kubectl apply -f -
//       exactly the Secrets the prod overlay reads, in that namespace: `gittix-jwt`,
//       `gittix-nats`, and per database two kubernetes.io/basic-auth Secrets that
//       CloudNativePG's managed roles take their passwords from:
//       `gittix-db-<database>` (the runtime role; the service's container reads it)
//       and `gittix-db-<database>-owner` (the owner; only the migrate initContainer
//       reads it). The dev overlay generates its database Secrets itself and needs
//       only `gittix-jwt` from this (`--k8s gittix-dev`).
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

/**
 * One NATS password. nats-auth.conf reads it as `password: $NATS_PASSWORD_<USER>`, and
 * nats-server parses an environment value as a config value: one starting with `-` or
 * a digit may lex as a number (`-…`, `7E…`, `4-…` are refused, "could not be parsed",
 * and the server does not start; about one base64url string in 50). A letter first
 * makes it always a string; the rest is 192 random bits, URL-safe, no quoting needed.
 */
export function natsPassword() {
  return `n${randomBytes(24).toString('base64url')}`;
}

/** NATS_PASSWORD_<USER> → a fresh random password (natsPassword). */
export function generateNatsPasswords() {
  return Object.fromEntries(
    NATS_USERS.map((user) => [`NATS_PASSWORD_${user.toUpperCase()}`, natsPassword()]),
  );
}

export function generateSessionKeys() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  // EMAIL_TOKEN_KEY: auth seals emailed links' tokens with it, notifications opens them.
  const emailTokenKey = randomBytes(32).toString('base64');
  return { privateKeyPem: privateKey, publicKeyPem: publicKey, emailTokenKey };
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
    '# Seals the tokens of emailed links between auth and notifications (32 bytes, base64).',
    `EMAIL_TOKEN_KEY=${keys.emailTokenKey}`,
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
    `  EMAIL_TOKEN_KEY: ${keys.emailTokenKey}`,
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
 * One Postgres role as CloudNativePG's managed roles want it: a basic-auth Secret
 * (username, password) named `secretName`. The prod overlay's containers read their
 * password from the same Secret, so the role and its user never disagree.
 */
export function toKubernetesRoleSecret(secretName, role, password, namespace) {
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${secretName}`,
    `  namespace: ${namespace}`,
    '  labels:',
    '    app.kubernetes.io/part-of: gittix',
    'type: kubernetes.io/basic-auth',
    'stringData:',
    `  username: ${role}`,
    `  password: ${password}`,
    '',
  ].join('\n');
}

/**
 * The two roles of each database (docs/security.md, "Postgres"): the runtime role
 * `<database>` in `gittix-db-<database>`, the owner `<database>_owner` in
 * `gittix-db-<database>-owner`.
 */
export function toKubernetesDatabaseSecrets(databasePasswords, ownerPasswords, namespace) {
  return DATABASES.flatMap((db) => {
    const upper = db.toUpperCase();
    return [
      toKubernetesRoleSecret(
        `gittix-db-${db}`,
        db,
        databasePasswords[`POSTGRES_PASSWORD_${upper}`],
        namespace,
      ),
      toKubernetesRoleSecret(
        `gittix-db-${db}-owner`,
        `${db}_owner`,
        ownerPasswords[`POSTGRES_OWNER_PASSWORD_${upper}`],
        namespace,
      ),
    ];
  });
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
      ...toKubernetesDatabaseSecrets(databasePasswords, ownerPasswords, argv[1]),
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

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';

export interface SessionKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

export async function generateSessionKeys(): Promise<SessionKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  return {
    privateKeyPem: await exportPKCS8(privateKey),
    publicKeyPem: await exportSPKI(publicKey),
  };
}

/** The session signing key of a local install: made once, kept so sessions survive restarts. */
export async function localSessionKeys(dir: string): Promise<SessionKeyPair> {
  const privatePath = join(dir, 'session-private.pem');
  const publicPath = join(dir, 'session-public.pem');
  if (existsSync(privatePath) && existsSync(publicPath)) {
    return {
      privateKeyPem: await readFile(privatePath, 'utf8'),
      publicKeyPem: await readFile(publicPath, 'utf8'),
    };
  }
  const keys = await generateSessionKeys();
  await mkdir(dir, { recursive: true });
  await writeFile(privatePath, keys.privateKeyPem, { mode: 0o600 });
  await writeFile(publicPath, keys.publicKeyPem);
  return keys;
}

/** 32 random bytes, base64: the EMAIL_TOKEN_KEY auth and notifications share. */
export function generateEmailTokenKey(): string {
  return randomBytes(32).toString('base64');
}

/** The EMAIL_TOKEN_KEY of a local install: made once, kept so links in flight survive restarts. */
export async function localEmailTokenKey(dir: string): Promise<string> {
  const path = join(dir, 'email-token.key');
  if (existsSync(path)) return (await readFile(path, 'utf8')).trim();
  const key = generateEmailTokenKey();
  await mkdir(dir, { recursive: true });
  await writeFile(path, key, { mode: 0o600 });
  return key;
}

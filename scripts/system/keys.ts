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

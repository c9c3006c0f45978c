import { randomBytes } from 'node:crypto';
import { hash, type Options, verify } from '@node-rs/argon2';

export interface PasswordCost {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface PasswordHasher {
  hash: (password: string) => Promise<string>;
  verify: (hash: string, password: string) => Promise<boolean>;
  /**
   * A hash of a random password with the same costs as real ones. Signing in with an
   * unknown email verifies against it, so it takes as long as a wrong password does.
   */
  dummyHash: () => Promise<string>;
}

/**
 * argon2id hashing (the napi-rs binding: prebuilt per platform, nothing compiled
 * at install); the costs are encoded in each hash, so they can change safely.
 */
export function createPasswordHasher(cost: PasswordCost): PasswordHasher {
  // The binding's default algorithm is argon2id (its `Algorithm` is a const enum,
  // which isolated modules cannot import); the signup test asserts the prefix.
  const options: Options = { ...cost };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => hash(password, options),
    verify: (digest, password) => verify(digest, password),
    dummyHash: () => {
      dummy ??= hash(randomBytes(32).toString('hex'), options);
      return dummy;
    },
  };
}

import { randomBytes } from 'node:crypto';
import * as argon2 from 'argon2';

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

/** argon2id hashing; the costs are encoded in each hash, so they can change safely. */
export function createPasswordHasher(cost: PasswordCost): PasswordHasher {
  const options: argon2.HashOptions = { type: argon2.argon2id, ...cost };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => argon2.hash(password, options),
    verify: (hash, password) => argon2.verify(hash, password),
    dummyHash: () => {
      dummy ??= argon2.hash(randomBytes(32).toString('hex'), options);
      return dummy;
    },
  };
}

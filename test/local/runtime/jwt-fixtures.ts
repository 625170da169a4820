import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SignJWT, type JWTPayload } from 'jose';

import { JWT_DIR, LOCAL_JWT_ISSUER, SIGNING_KEY_FILE, type LocalJwt } from '../../../local/runtime/local-jwt';

/** The dev environment's first audience (lib/config/environments.ts). */
export const AUDIENCE = 'stowage-dev';

/** A fresh temporary data directory; `cleanup` removes it. */
export function tempDataDir(): { readonly dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-jwt-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The signing key local mode stored in `dataDir`, to craft tokens the minting API would never make. */
export function storedSigningKey(dataDir: string): KeyObject {
  return createPrivateKey(readFileSync(join(dataDir, JWT_DIR, SIGNING_KEY_FILE), 'utf8'));
}

/** Another RSA key: what a forger has. */
export function otherKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

export interface CraftOptions {
  readonly key: KeyObject;
  readonly kid?: string | null;
  readonly claims?: JWTPayload;
  readonly nowSeconds?: number;
}

/** A token with the given claims over a valid baseline (right iss, aud, sub, iat/nbf now, exp in 1 h). */
export async function craftToken(jwt: LocalJwt, options: CraftOptions): Promise<string> {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    iss: LOCAL_JWT_ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    iat: now,
    nbf: now,
    exp: now + 3600,
    ...options.claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  const kid = options.kid === undefined ? jwt.keyId : options.kid;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', ...(kid === null ? {} : { kid }) })
    .sign(options.key);
}

import {
  generateKeyPairSync,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import {
  calculateJwkThumbprint,
  errors,
  exportJWK,
  jwtVerify,
  SignJWT,
  type JWK,
  type JWTPayload,
} from 'jose';
import { z } from 'zod';

import { userKeySegment } from '../../core/contracts/user-key-segment';

/** Issuer (`iss`) of local tokens: fixed, so tokens minted before the API picked its port stay valid. */
export const LOCAL_JWT_ISSUER = 'stowage-local';

/** Lifetime of a minted token when the caller names none: 1 hour. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

/** Longest lifetime a local token may be minted with: 30 days. */
export const MAX_TOKEN_LIFETIME_SECONDS = 30 * 86_400;

/** Directory under the data directory that holds the signing key. */
export const JWT_DIR = 'jwt';

/** The RSA private key (PKCS#8 PEM, mode 0600) that signs local tokens. */
export const SIGNING_KEY_FILE = 'signing-key.pem';

/** The only algorithm minted and accepted (the HTTP API JWT authorizer accepts RSA signatures only). */
export const LOCAL_JWT_ALGORITHM = 'RS256';

export interface LocalJwtOptions {
  /** Local mode's data directory; the signing key lives in `<dataDir>/jwt/`, created on first use. Required. */
  readonly dataDir: string;
  /** Accepted audiences: the env's `intake.jwt.audiences` (tokens are minted for the first one). Required. */
  readonly audiences: readonly string[];
  /** Issuer minted into and required of every token. Default LOCAL_JWT_ISSUER. */
  readonly issuer?: string;
  /** Clock for minting and checking `exp`, `nbf` and `iat`. Default: the system clock. */
  readonly now?: () => Date;
}

export interface MintTokenOptions {
  /** The user name, minted as `sub`; it becomes the `<userId>` segment of upload keys as it is. Required. */
  readonly user: string;
  /** Seconds until `exp`. Default DEFAULT_TOKEN_LIFETIME_SECONDS. */
  readonly expiresInSeconds?: number;
  /** OAuth scopes, minted as the space-separated `scope` claim. Default: none. */
  readonly scopes?: readonly string[];
}

/** What the authorizer decided: the claims and scopes API Gateway passes on, or why it answered 401. */
export type JwtAuthorization =
  | {
      readonly authorized: true;
      /** Every claim, as API Gateway passes them in payload v2: values as strings, arrays as `[a b]`. */
      readonly claims: Readonly<Record<string, string>>;
      /** The token's `scope` (space-separated) or `scp` claim. */
      readonly scopes: readonly string[];
    }
  | {
      readonly authorized: false;
      /** Why, for the `WWW-Authenticate` header's error_description (never a key or a token). */
      readonly description: string;
      /** Whether a token was presented at all (RFC 6750: no `error` attribute when none was). */
      readonly tokenPresented: boolean;
    };

/** A JSON Web Key Set, as served at `/.well-known/jwks.json`. */
export interface JsonWebKeySet {
  readonly keys: readonly JWK[];
}

/** The local identity provider: mints RS256 tokens and checks them as the HTTP API's JWT authorizer does. */
export interface LocalJwt {
  /** The `iss` of minted tokens and the only one accepted. */
  readonly issuer: string;
  /** The `aud` of minted tokens (the first accepted audience). */
  readonly audience: string;
  /** The `kid` of the signing key: its RFC 7638 thumbprint. */
  readonly keyId: string;
  /** A signed token for `user` (throws naming the option when one is invalid). */
  mintToken(options: MintTokenOptions): Promise<string>;
  /** Checks an `Authorization` header value (`Bearer <token>` or the bare token), as API Gateway does. */
  authorize(authorization: string | undefined): Promise<JwtAuthorization>;
  /** The public key set. */
  jwks(): JsonWebKeySet;
}

const optionsSchema = z.object({
  dataDir: z.string().min(1, 'must not be empty'),
  audiences: z.array(z.string().min(1, 'must not be empty')).min(1, 'needs at least one audience'),
  issuer: z.string().min(1, 'must not be empty').optional(),
});

const mintSchema = z.object({
  user: z.string().refine((user) => user !== '' && userKeySegment(user) === user, {
    error:
      "must be 1-128 letters, digits, '-' or '_' (it becomes the <userId> segment of upload keys as it is)",
  }),
  expiresInSeconds: z
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1')
    .max(MAX_TOKEN_LIFETIME_SECONDS, `must be at most ${MAX_TOKEN_LIFETIME_SECONDS} (30 days)`)
    .optional(),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token')).optional(),
});

/** Throws one Error naming every invalid field of `value`, prefixed with `context`. */
function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, context: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new Error(`${context}: ${problems.join('; ')}`);
}

/** True for a Node system error with `code` (not `instanceof Error`: Node's errors may come from another realm). */
function isErrnoException(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}

/**
 * The signing key in `<dataDir>/jwt/signing-key.pem`: read when it exists (refused when group or others may read
 * it), otherwise generated and published atomically with a hard link, so two processes starting at once (the API
 * and `stowage local token`) end up with the same key and never with a half-written one.
 */
async function loadOrCreateSigningKey(dataDir: string): Promise<KeyObject> {
  const dir = join(dataDir, JWT_DIR);
  const file = join(dir, SIGNING_KEY_FILE);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    return await readSigningKey(file);
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT')) throw error;
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, pem, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
  } catch (error) {
    // Another process published its key first: use that one.
    if (!isErrnoException(error, 'EEXIST')) throw error;
  } finally {
    await unlink(temporary);
  }
  return readSigningKey(file);
}

async function readSigningKey(file: string): Promise<KeyObject> {
  const info = await stat(file);
  if ((info.mode & (fsConstants.S_IRWXG | fsConstants.S_IRWXO)) !== 0) {
    throw new Error(
      `${file} is accessible to group or others (mode ${(info.mode & 0o777).toString(8)}): run chmod 600 on it`,
    );
  }
  return createPrivateKey(await readFile(file, 'utf8'));
}

/** A claim value as API Gateway's payload v2 passes it: a string (arrays as `[a b]`, like its Go formatting). */
function claimString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(claimString).join(' ')}]`;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function scopesOf(payload: JWTPayload): string[] {
  const scope = payload.scope ?? payload.scp;
  if (typeof scope === 'string') return scope.split(' ').filter((item) => item !== '');
  if (Array.isArray(scope)) return scope.filter((item): item is string => typeof item === 'string');
  return [];
}

/** The `error_description` for a token jose refused; JOSE errors only (anything else is a bug and is rethrown). */
function describeRefusal(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `invalid "${error.claim}" claim: ${error.reason}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'signing method is invalid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key in the key set matches the token kid';
  return 'the token is malformed';
}

/**
 * Opens the local identity provider of `dataDir`: creates its RS256 key pair on first use (`<dataDir>/jwt/`, mode
 * 0600) and reuses it afterwards, so tokens survive restarts. Its `authorize` follows the HTTP API JWT
 * authorizer: an optional `Bearer ` prefix, RS256 only, a `kid` that names the signing key, a valid signature,
 * `iss`, one of the audiences, `exp` in the future, and `nbf` and `iat` not in the future.
 */
export async function openLocalJwt(options: LocalJwtOptions): Promise<LocalJwt> {
  const { dataDir, audiences, issuer = LOCAL_JWT_ISSUER } = parseOrThrow(optionsSchema, options, 'local JWT');
  const now = options.now ?? (() => new Date());
  const privateKey = await loadOrCreateSigningKey(dataDir);
  const publicKey = createPublicKey(privateKey);
  const publicJwk = await exportJWK(publicKey);
  const keyId = await calculateJwkThumbprint(publicJwk);
  const jwk: JWK = { ...publicJwk, kid: keyId, alg: LOCAL_JWT_ALGORITHM, use: 'sig' };
  const audience = audiences[0] as string;
  const epochSeconds = () => Math.floor(now().getTime() / 1000);

  return {
    issuer,
    audience,
    keyId,
    async mintToken(mint) {
      const { user, expiresInSeconds, scopes } = parseOrThrow(mintSchema, mint, 'mintToken');
      const issuedAt = epochSeconds();
      const token = new SignJWT(scopes && scopes.length > 0 ? { scope: scopes.join(' ') } : {})
        .setProtectedHeader({ alg: LOCAL_JWT_ALGORITHM, kid: keyId, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(user)
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(issuedAt + (expiresInSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS))
        .setJti(randomBytes(16).toString('hex'));
      return token.sign(privateKey);
    },
    async authorize(authorization) {
      const token = authorization?.trim().replace(/^bearer(\s+|$)/i, '') ?? '';
      if (token === '') {
        return { authorized: false, description: 'no token', tokenPresented: false };
      }
      const currentDate = now();
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(
          token,
          (header) => {
            if (header.kid !== keyId) throw new errors.JWKSNoMatchingKey();
            return publicKey;
          },
          {
            issuer,
            audience: [...audiences],
            algorithms: [LOCAL_JWT_ALGORITHM],
            currentDate,
            requiredClaims: ['exp'],
          },
        ));
      } catch (error) {
        if (!(error instanceof errors.JOSEError)) throw error;
        return { authorized: false, description: describeRefusal(error), tokenPresented: true };
      }
      if (payload.iat !== undefined && payload.iat > Math.floor(currentDate.getTime() / 1000)) {
        return { authorized: false, description: 'invalid "iat" claim: in the future', tokenPresented: true };
      }
      const claims: Record<string, string> = {};
      for (const [name, value] of Object.entries(payload)) claims[name] = claimString(value);
      return { authorized: true, claims, scopes: scopesOf(payload) };
    },
    jwks() {
      return { keys: [{ ...jwk }] };
    },
  };
}

import { createHmac } from 'node:crypto';
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { decodeJwt, decodeProtectedHeader } from 'jose';

import { loadConfig } from '../../../lib/config';
import {
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  JWT_DIR,
  LOCAL_JWT_ISSUER,
  openLocalJwt,
  SIGNING_KEY_FILE,
  type JwtAuthorization,
  type LocalJwt,
} from '../../../local/runtime/local-jwt';
import { AUDIENCE, craftToken, otherKey, storedSigningKey, tempDataDir } from './jwt-fixtures';

const NOW = new Date('2026-03-04T05:06:07.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;

let data: ReturnType<typeof tempDataDir>;
let jwt: LocalJwt;

// One key pair for the file (RSA generation is the slow part); tests that change the key use their own directory.
beforeAll(async () => {
  data = tempDataDir();
  jwt = await openLocalJwt({ dataDir: data.dir, audiences: [AUDIENCE], now: () => NOW });
});

afterAll(() => {
  data.cleanup();
});

function refusal(decision: JwtAuthorization): string {
  if (decision.authorized)
    throw new Error(`expected a refusal, got claims ${JSON.stringify(decision.claims)}`);
  return decision.description;
}

describe('local JWT issuer', () => {
  it("uses the dev config's first audience as the minted aud", async () => {
    // Arrange
    const audiences = loadConfig('dev').intake.jwt.audiences;

    // Act
    const token = await jwt.mintToken({ user: 'alice' });

    // Assert
    expect(audiences[0]).toBe(AUDIENCE);
    expect(decodeJwt(token).aud).toBe(AUDIENCE);
  });

  it('mints an RS256 token for the user with kid, issuer, audience and a 1 h default lifetime', async () => {
    // Act
    const token = await jwt.mintToken({ user: 'alice' });

    // Assert
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: jwt.keyId, typ: 'JWT' });
    expect(decodeJwt(token)).toMatchObject({
      iss: LOCAL_JWT_ISSUER,
      aud: AUDIENCE,
      sub: 'alice',
      iat: NOW_SECONDS,
      nbf: NOW_SECONDS,
      exp: NOW_SECONDS + DEFAULT_TOKEN_LIFETIME_SECONDS,
    });
    expect(DEFAULT_TOKEN_LIFETIME_SECONDS).toBe(3600);
  });

  it('authorizes its own token and passes the claims as API Gateway does (strings) with the scopes', async () => {
    // Arrange
    const token = await jwt.mintToken({
      user: 'alice',
      expiresInSeconds: 60,
      scopes: ['uploads/write', 'x'],
    });

    // Act
    const decision = await jwt.authorize(`Bearer ${token}`);

    // Assert
    expect(decision).toEqual({
      authorized: true,
      claims: expect.objectContaining({
        sub: 'alice',
        iss: LOCAL_JWT_ISSUER,
        aud: AUDIENCE,
        exp: String(NOW_SECONDS + 60),
        scope: 'uploads/write x',
      }),
      scopes: ['uploads/write', 'x'],
    });
  });

  it('accepts the bare token and a lower-case bearer prefix, like the identity source does', async () => {
    // Arrange
    const token = await jwt.mintToken({ user: 'alice' });

    // Act / Assert
    await expect(jwt.authorize(token)).resolves.toMatchObject({ authorized: true });
    await expect(jwt.authorize(`bearer ${token}`)).resolves.toMatchObject({ authorized: true });
  });

  it('formats array claims like API Gateway: [a b]', async () => {
    // Arrange
    const token = await craftToken(jwt, {
      key: storedSigningKey(data.dir),
      nowSeconds: NOW_SECONDS,
      claims: { groups: ['admins', 'ops'], scp: ['read', 'write'] },
    });

    // Act
    const decision = await jwt.authorize(`Bearer ${token}`);

    // Assert
    expect(decision).toMatchObject({
      authorized: true,
      claims: { groups: '[admins ops]' },
      scopes: ['read', 'write'],
    });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a bare Bearer', 'Bearer '],
  ])('refuses %s as no token presented', async (_case, header) => {
    // Act
    const decision = await jwt.authorize(header);

    // Assert
    expect(decision).toEqual({ authorized: false, description: 'no token', tokenPresented: false });
  });

  it.each([
    ['Basic credentials', 'Basic YWxpY2U6cGFzc3dvcmQ='],
    ['two segments', 'Bearer abc.def'],
    ['garbage segments', 'Bearer not.a.token'],
    ['an unsigned alg=none token', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.'],
  ])('refuses %s as malformed', async (_case, header) => {
    // Act
    const decision = await jwt.authorize(header);

    // Assert
    expect(decision).toMatchObject({ authorized: false, tokenPresented: true });
  });

  it('refuses an expired token', async () => {
    // Arrange
    const token = await jwt.mintToken({ user: 'alice', expiresInSeconds: 60 });
    const later = await openLocalJwt({
      dataDir: data.dir,
      audiences: [AUDIENCE],
      now: () => new Date(NOW.getTime() + 61_000),
    });

    // Act / Assert
    expect(refusal(await later.authorize(`Bearer ${token}`))).toBe('the token has expired');
    await expect(jwt.authorize(`Bearer ${token}`)).resolves.toMatchObject({ authorized: true });
  });

  it('refuses a forged token: same kid and claims, signed with another key', async () => {
    // Arrange
    const token = await craftToken(jwt, { key: otherKey(), nowSeconds: NOW_SECONDS });

    // Act / Assert
    expect(refusal(await jwt.authorize(`Bearer ${token}`))).toBe('signature verification failed');
  });

  it("refuses a token minted by another data directory's key", async () => {
    // Arrange
    const other = tempDataDir();
    try {
      const stranger = await openLocalJwt({ dataDir: other.dir, audiences: [AUDIENCE], now: () => NOW });
      const token = await stranger.mintToken({ user: 'alice' });

      // Act
      const decision = await jwt.authorize(`Bearer ${token}`);

      // Assert
      expect(stranger.keyId).not.toBe(jwt.keyId);
      expect(refusal(decision)).toBe('no key in the key set matches the token kid');
    } finally {
      other.cleanup();
    }
  });

  it.each([
    ['a wrong audience', { aud: 'stowage-prod' }, 'invalid "aud" claim'],
    ['a wrong issuer', { iss: 'https://auth.dev.stowage.example.com' }, 'invalid "iss" claim'],
    ['nbf in the future', { nbf: NOW_SECONDS + 120 }, 'invalid "nbf" claim'],
    ['iat in the future', { iat: NOW_SECONDS + 120 }, 'invalid "iat" claim'],
    ['no exp', { exp: undefined }, 'invalid "exp" claim'],
  ])('refuses a validly signed token with %s', async (_case, claims, description) => {
    // Arrange
    const token = await craftToken(jwt, { key: storedSigningKey(data.dir), nowSeconds: NOW_SECONDS, claims });

    // Act / Assert
    expect(refusal(await jwt.authorize(`Bearer ${token}`))).toContain(description);
  });

  it('refuses a validly signed token without a kid, as the authorizer does', async () => {
    // Arrange
    const token = await craftToken(jwt, {
      key: storedSigningKey(data.dir),
      nowSeconds: NOW_SECONDS,
      kid: null,
    });

    // Act / Assert
    expect(refusal(await jwt.authorize(`Bearer ${token}`))).toBe(
      'no key in the key set matches the token kid',
    );
  });

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    // Arrange
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const header = encode({ alg: 'HS256', kid: jwt.keyId });
    const payload = encode({ iss: LOCAL_JWT_ISSUER, aud: AUDIENCE, sub: 'alice', exp: NOW_SECONDS + 60 });
    const secret = JSON.stringify(jwt.jwks().keys[0]);
    const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');

    // Act / Assert
    expect(refusal(await jwt.authorize(`Bearer ${header}.${payload}.${signature}`))).toBe(
      'signing method is invalid',
    );
  });

  it('accepts any configured audience, mints for the first', async () => {
    // Arrange
    const multi = await openLocalJwt({ dataDir: data.dir, audiences: ['first', AUDIENCE], now: () => NOW });
    const token = await craftToken(multi, { key: storedSigningKey(data.dir), nowSeconds: NOW_SECONDS });

    // Act / Assert
    expect(multi.audience).toBe('first');
    await expect(multi.authorize(token)).resolves.toMatchObject({ authorized: true });
  });
});

describe('local JWT signing key', () => {
  it('is created on first use in <dataDir>/jwt with mode 0600 (directory 0700), and nothing else is left', () => {
    // Act
    const file = statSync(join(data.dir, JWT_DIR, SIGNING_KEY_FILE));
    const dir = statSync(join(data.dir, JWT_DIR));

    // Assert
    expect(file.mode & 0o777).toBe(0o600);
    expect(dir.mode & 0o777).toBe(0o700);
    expect(readdirSync(join(data.dir, JWT_DIR))).toEqual([SIGNING_KEY_FILE]);
  });

  it('survives a restart: the same key, and tokens minted before still pass', async () => {
    // Arrange
    const token = await jwt.mintToken({ user: 'alice' });

    // Act
    const reopened = await openLocalJwt({ dataDir: data.dir, audiences: [AUDIENCE], now: () => NOW });

    // Assert
    expect(reopened.keyId).toBe(jwt.keyId);
    await expect(reopened.authorize(`Bearer ${token}`)).resolves.toMatchObject({ authorized: true });
  });

  it('is created once when two processes open a fresh data directory at the same time', async () => {
    // Arrange
    const fresh = tempDataDir();
    try {
      // Act
      const [first, second] = await Promise.all([
        openLocalJwt({ dataDir: fresh.dir, audiences: [AUDIENCE] }),
        openLocalJwt({ dataDir: fresh.dir, audiences: [AUDIENCE] }),
      ]);

      // Assert
      expect(first.keyId).toBe(second.keyId);
      expect(readdirSync(join(fresh.dir, JWT_DIR))).toEqual([SIGNING_KEY_FILE]);
    } finally {
      fresh.cleanup();
    }
  });

  it('is refused when group or others may read it', async () => {
    // Arrange
    const fresh = tempDataDir();
    try {
      await openLocalJwt({ dataDir: fresh.dir, audiences: [AUDIENCE] });
      const file = join(fresh.dir, JWT_DIR, SIGNING_KEY_FILE);
      chmodSync(file, 0o644);

      // Act / Assert
      await expect(openLocalJwt({ dataDir: fresh.dir, audiences: [AUDIENCE] })).rejects.toThrow(
        `${file} is accessible to group or others (mode 644)`,
      );
    } finally {
      fresh.cleanup();
    }
  });

  it('publishes only the public key in the JWKS, with its kid', () => {
    // Act
    const { keys } = jwt.jwks();

    // Assert
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', kid: jwt.keyId, alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(keys[0]).not.toHaveProperty('d');
    expect(keys[0]).not.toHaveProperty('p');
  });
});

describe('local JWT validation of its inputs', () => {
  it.each([
    ['a slash', 'a/b'],
    ['an empty name', ''],
    ['a space', 'alice smith'],
    ['non-ASCII', 'zoë'],
    ['129 characters', 'x'.repeat(129)],
  ])('refuses a user name with %s, naming the field', async (_case, user) => {
    // Act / Assert
    await expect(jwt.mintToken({ user })).rejects.toThrow(/^mintToken: user: must be 1-128 letters/);
  });

  it.each([0, 1.5, -1, 31 * 86_400])(
    'refuses expiresInSeconds %p, naming the field',
    async (expiresInSeconds) => {
      // Act / Assert
      await expect(jwt.mintToken({ user: 'alice', expiresInSeconds })).rejects.toThrow(
        /^mintToken: expiresInSeconds: /,
      );
    },
  );

  it('refuses to open without an audience, naming the field', async () => {
    // Act / Assert
    await expect(openLocalJwt({ dataDir: data.dir, audiences: [] })).rejects.toThrow(
      'local JWT: audiences: needs at least one audience',
    );
  });
});

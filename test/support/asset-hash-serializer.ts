/**
 * Jest snapshot serializer that replaces asset hashes (64 hex characters, as in asset object keys
 * and asset parameters) with a fixed marker, so snapshots change when the infrastructure does, not
 * when a bundled handler's bytes do.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;

const assetHashSerializer = {
  test: (value: unknown): boolean => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value: string): string => JSON.stringify(value.replace(ASSET_HASH, '[ASSET HASH]')),
};

export = assetHashSerializer;

import type { DeploymentModel } from './deployment-model';

/** The AWS services whose SDK commands the contract maps. */
export type SdkService =
  's3' | 'kms' | 'sqs' | 'sns' | 'dynamodb' | 'events' | 'cloudwatch' | 'lambda' | 'sts';

/** One SDK call the code made: the client's service, the command's class name and its input. */
export interface SdkCall {
  readonly service: SdkService;
  /** The command's class name, e.g. `GetObjectCommand`. */
  readonly command: string;
  readonly input: Readonly<Record<string, unknown>>;
}

/** One IAM authorization AWS performs for a call: an action on a resource with its request context. */
export interface RequiredPermission {
  readonly action: string;
  readonly resource: string;
  /** Request context keys the policies may test (s3:prefix, kms:ViaService, kms:EncryptionContext:…, …). */
  readonly context: Readonly<Record<string, string | string[]>>;
  /** What needs it, for messages: `S3 GetObject s3://bucket/key (version v1)`. */
  readonly because: string;
}

/** What the mapping needs to know beyond the call itself. */
export interface CallContext {
  readonly model: DeploymentModel;
  /**
   * Tags an object carries when it is read (s3:ExistingObjectTag/…). @default none: every object is read as
   * untagged, the strictest case for the uploads bucket's read gate.
   */
  readonly objectTags?: (bucket: string, key: string) => Readonly<Record<string, string>>;
  /**
   * The key a KMS Decrypt without KeyId (a ciphertext blob names its key) unwraps with.
   * @default such a Decrypt is an error
   */
  readonly ciphertextKeyArn?: string;
}

/** A call the contract cannot map: a new SDK command needs a line in the mapping before it can ship. */
export class UnmappedCallError extends Error {
  constructor(call: SdkCall, detail = 'no IAM mapping') {
    super(
      `${call.service} ${call.command}: ${detail} (add it to lib/security/iam-contract so its permissions are checked)`,
    );
    this.name = 'UnmappedCallError';
  }
}

/** A required string field of a call's input. */
export function field(call: SdkCall, name: string): string {
  const value = call.input[name];
  if (typeof value !== 'string' || value === '') {
    throw new UnmappedCallError(call, `input has no ${name}`);
  }
  return value;
}

/** An optional string field of a call's input. */
export function optionalField(call: SdkCall, name: string): string | undefined {
  const value = call.input[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `alias/x`, a key id, a key ARN or an alias ARN → the key's ARN in the model (region: `region`). */
export function keyArnOf(model: DeploymentModel, keyId: string, region = model.region): string {
  const account = model.account;
  if (/^arn:aws:kms:[^:]+:\d{12}:key\//.test(keyId)) return keyId;
  const aliasArn = keyId.startsWith('alias/')
    ? `arn:aws:kms:${region}:${account}:${keyId}`
    : /^arn:aws:kms:[^:]+:\d{12}:alias\//.test(keyId)
      ? keyId
      : undefined;
  if (aliasArn) {
    const target = model.keyAliases.get(aliasArn);
    if (!target) throw new Error(`KMS alias ${keyId} names no key of this deployment`);
    return target;
  }
  return `arn:aws:kms:${region}:${account}:key/${keyId}`;
}

/** The region of an ARN. */
export function regionOf(arn: string): string {
  return arn.split(':')[3] ?? '';
}

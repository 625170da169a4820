/** An IAM policy document as JSON (identity or resource policy). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Record<string, unknown>[] | Record<string, unknown>;
}

/** An IAM role with everything the simulator needs to evaluate its requests. */
export interface RoleModel {
  /** The role's ARN. */
  readonly arn: string;
  /** Its IAM tags (aws:PrincipalTag/...). */
  readonly tags: Readonly<Record<string, string>>;
  /** Its inline and attached identity policies, by name. */
  readonly policies: readonly { readonly name: string; readonly document: PolicyDocument }[];
}

/**
 * The deployed (or synthesized) resources an env's permission contract is evaluated against: roles, the resource
 * policies S3, KMS, SQS and SNS evaluate, and which key encrypts what. Built from the synthesized templates in tests
 * (templateDeploymentModel) and from the live account by `stowage doctor`.
 */
export interface DeploymentModel {
  readonly account: string;
  /** The env's primary region. */
  readonly region: string;
  /** Bucket policy of each bucket, by bucket name. */
  readonly bucketPolicies: ReadonlyMap<string, PolicyDocument>;
  /** Default SSE-KMS encryption of each bucket (absent: SSE-S3), by bucket name. */
  readonly bucketKeys: ReadonlyMap<string, BucketKmsEncryption>;
  /** Key policy of each key, by key ARN. */
  readonly keyPolicies: ReadonlyMap<string, PolicyDocument>;
  /** Key ARN of each alias, by alias ARN (`arn:aws:kms:<region>:<account>:alias/...`). */
  readonly keyAliases: ReadonlyMap<string, string>;
  /** KMS key of each encrypted queue, topic or table, by its ARN. */
  readonly resourceKeys: ReadonlyMap<string, string>;
  /** Resource policy of each queue or topic, by its ARN. */
  readonly resourcePolicies: ReadonlyMap<string, PolicyDocument>;
}

/** A bucket's default SSE-KMS encryption. */
export interface BucketKmsEncryption {
  /** The key's ARN. */
  readonly keyArn: string;
  /**
   * S3 Bucket Keys on: S3 asks KMS for a bucket-level key, so the encryption context `aws:s3:arn` is the bucket's
   * ARN instead of the object's.
   */
  readonly bucketKeyEnabled: boolean;
}

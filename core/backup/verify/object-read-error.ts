/**
 * Reading the object from S3 failed (network, throttling, access): nothing is known about its content, so this is
 * never reported as a content failure. Content checks rethrow it; the source's verification fails with an error.
 */
export class ObjectReadError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'ObjectReadError';
  }
}

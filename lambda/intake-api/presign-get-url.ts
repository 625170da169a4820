import { GetObjectCommand, type GetObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';

/** The parts of the SDK's serialized request a presigned URL is made of. */
interface HttpRequest {
  readonly protocol: string;
  readonly hostname: string;
  readonly port?: number;
  readonly path: string;
  readonly query?: Record<string, string | string[] | null>;
  readonly headers: Record<string, string>;
  readonly method: string;
}

/** What SigV4 signers of the SDK offer besides header signing (SignatureV4, SignatureV4MultiRegion). */
interface QueryPresigner {
  presign(request: HttpRequest, options: { expiresIn: number }): Promise<HttpRequest>;
}

function isQueryPresigner(signer: unknown): signer is QueryPresigner {
  return typeof (signer as Partial<QueryPresigner>).presign === 'function';
}

/**
 * A presigned GET URL of one object, signed by the S3 client's credentials (SigV4 query signing), without the
 * `@aws-sdk/s3-request-presigner` package: the command runs through the client's own middleware (endpoint, path or
 * virtual-host style, query of `VersionId` and `Response*` overrides, `host` header) up to the point where it would
 * be signed and sent; there the request is taken, its headers reduced to `host` (a browser sends no other) and
 * the unsigned-payload marker, and signed with the client's own signer as a query-string presign. No request is
 * sent.
 */
export async function presignGetObjectUrl(
  s3: S3Client,
  input: GetObjectCommandInput,
  expiresInSeconds: number,
): Promise<string> {
  const command = new GetObjectCommand(input);
  let captured: HttpRequest | undefined;
  command.middlewareStack.add(
    () => async (args: { request: unknown }) => {
      captured = args.request as HttpRequest;
      return { output: { $metadata: {} }, response: {} };
    },
    { step: 'finalizeRequest', priority: 'high', name: 'stowagePresignCapture', override: true },
  );
  // The client's own handler chain, resolved as `send` would (a test double of `send` does not bypass signing).
  await command.resolveMiddleware(s3.middlewareStack, s3.config, {})({ input: command.input });
  if (!captured) throw new Error('GetObject was not serialized');
  const host = captured.headers.host ?? captured.headers.Host ?? captured.hostname;
  // A presigned URL signs no payload (S3's UNSIGNED-PAYLOAD); the header is taken into the query by the signer.
  const request: HttpRequest = { ...captured, headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } };
  const signer: unknown = await s3.config.signer();
  if (!isQueryPresigner(signer)) throw new Error('the S3 client signer cannot presign');
  return urlOf(await signer.presign(request, { expiresIn: expiresInSeconds }));
}

function urlOf(request: HttpRequest): string {
  const query = Object.entries(request.query ?? {})
    .flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) =>
        v === null || v === undefined ? strictEncode(name) : `${strictEncode(name)}=${strictEncode(v)}`,
      ),
    )
    .join('&');
  const port = request.port ? `:${request.port}` : '';
  return `${request.protocol}//${request.hostname}${port}${request.path}${query ? `?${query}` : ''}`;
}

/** RFC 3986 encoding, as SigV4 canonicalizes query values. */
function strictEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

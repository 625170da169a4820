/**
 * Object keys as the event sources report them.
 *
 * - S3 notification records (`aws:s3`, the S3 → SQS/SNS/Lambda notification format) form-encode the key: a space is
 *   `+`, a literal `+` is `%2B`, everything else is percent-encoded UTF-8. Decoding is `+` → space, then `%XX`.
 * - EventBridge `Object Created` (`aws.s3`) events: the AWS documentation does not pin the encoding down. The
 *   medialake fix (aws-solutions-library-samples/guidance-for-medialake-on-aws PR #21) observed a literal `+` and
 *   spaces as `%20`, i.e. percent-encoding without the form rule. So a `+` must never become a space there, and a
 *   key that arrives unencoded (some paths, and events replayed or synthesised by tools, carry the raw key) must
 *   survive as well. `decodePercentEncodedKey` does both: it decodes only well-formed `%XX` runs that form valid
 *   UTF-8 and leaves `+` and any stray `%` as they are. An encoded key round-trips (a literal `%` was sent as `%25`),
 *   and a raw key round-trips unless it contains a `%XX` sequence itself. That residual ambiguity cannot be solved
 *   from the string alone; Stowage's own keys (`uploads/<userId>/<yyyy>/<mm>/<dd>/<uploadId>.<ext>`) never contain `%`,
 *   and a wrongly decoded foreign key only fails the HeadObject that follows (logged and acknowledged as gone).
 * - Ceph RGW notifications (`ceph:s3`) carry the raw key: no decoding at all.
 * - GuardDuty Malware Protection results: assumed to behave like EventBridge (`aws.s3`) keys, decoded the same way.
 */

/** Decodes a form-encoded key (`aws:s3` notification records), exactly once. Throws URIError on malformed input. */
export function decodeFormEncodedKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/**
 * Decodes `%XX` runs that are valid UTF-8, exactly once; `+` stays `+` and a `%` that does not start a valid
 * escape stays as it is. Safe for both percent-encoded and raw keys (see the module comment).
 */
export function decodePercentEncodedKey(key: string): string {
  return key.replace(PERCENT_RUN, (run) => {
    try {
      return decodeURIComponent(run);
    } catch (error) {
      // Not valid UTF-8 once decoded: the run was not an encoding, so it is part of a raw key.
      if (error instanceof URIError) return run;
      throw error;
    }
  });
}

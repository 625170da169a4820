import { SequenceMatcher } from './sequence-matcher';

/** Name reported for the EICAR anti-virus test file, as ClamAV names it. */
export const EICAR_SIGNATURE = 'Eicar-Test-Signature';

/**
 * The 68-byte EICAR test string. Kept base64-encoded so that this source file and the Lambda bundle are not
 * themselves detected by anti-virus software that scans the repository or the deployment artefact.
 */
const EICAR_BASE64 =
  'WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo=';

/** Returns a fresh copy of the EICAR test string bytes (for tests and self-checks). */
export function eicarBytes(): Buffer {
  return Buffer.from(EICAR_BASE64, 'base64');
}

/** Streaming EICAR detector: matches the test string anywhere in the stream, across chunk boundaries too. */
export function createEicarMatcher(): SequenceMatcher {
  return new SequenceMatcher(eicarBytes());
}

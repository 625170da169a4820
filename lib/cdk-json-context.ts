import { readFileSync } from 'fs';
import { join } from 'path';

/**
 * The context of cdk.json (feature flags included). The CDK CLI passes it to bin/app.ts; apps built
 * in-process (tests, `npm start`'s summary) must start from the same context to synthesize the same
 * templates.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

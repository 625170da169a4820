import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { PLACEHOLDER_ACCOUNT } from '../../../lib/config/environments';
import { isBadCredentials, isMissingCredentials, isServiceError } from '../../../core/aws/aws-errors';
import { CREDENTIALS_HINT, describeError } from '../../shared/service-error';
import { fail, pass, skip, type CheckResult, type DoctorContext } from './check';

const NAME = 'caller identity';

/**
 * Who the credentials belong to (STS GetCallerIdentity), and that it is the env's account when the config names
 * one. An S3-compatible endpoint has no STS: SKIP, its credentials are exercised by the bucket checks.
 */
export async function callerIdentityCheck(ctx: DoctorContext): Promise<CheckResult> {
  if (ctx.endpoint) {
    return skip(
      NAME,
      `S3-compatible endpoint ${ctx.endpoint} has no STS; the bucket checks exercise its credentials`,
    );
  }
  try {
    const identity = await ctx.sts().send(new GetCallerIdentityCommand({}));
    const account = identity.Account ?? 'unknown account';
    if (ctx.config.account !== PLACEHOLDER_ACCOUNT && identity.Account !== ctx.config.account) {
      return fail(
        NAME,
        `${identity.Arn} is in account ${account}, but env ${ctx.config.envName} deploys to ${ctx.config.account}`,
        `use credentials for account ${ctx.config.account} (--profile / AWS_PROFILE)`,
      );
    }
    return pass(NAME, `${identity.Arn} (account ${account})`);
  } catch (error) {
    if (isMissingCredentials(error)) return fail(NAME, 'no AWS credentials found', CREDENTIALS_HINT);
    if (isBadCredentials(error)) {
      return fail(
        NAME,
        `credentials refused: ${describeError(error)}`,
        `renew or replace them: ${CREDENTIALS_HINT}`,
      );
    }
    if (isServiceError(error)) {
      return fail(NAME, describeError(error), `check network access to STS in ${ctx.region} and --region`);
    }
    throw error;
  }
}

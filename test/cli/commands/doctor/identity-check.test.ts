import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { callerIdentityCheck } from '../../../../cli/commands/doctor/identity-check';
import { missingCredentials, serviceError } from '../../shared/fake-command-io';
import { doctorContext } from './doctor-context';

const sts = mockClient(STSClient);

beforeEach(() => {
  sts.reset();
});

describe('caller identity check', () => {
  it('passes with the caller ARN and account', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Arn: 'arn:aws:iam::123456789012:user/ops', Account: '123456789012' });
    const result = await callerIdentityCheck(doctorContext());
    expect(result).toEqual({
      name: 'caller identity',
      status: 'PASS',
      detail: 'arn:aws:iam::123456789012:user/ops (account 123456789012)',
    });
  });

  it('fails with the credentials hint when there are none', async () => {
    sts.on(GetCallerIdentityCommand).rejects(missingCredentials());
    const result = await callerIdentityCheck(doctorContext());
    expect(result.status).toBe('FAIL');
    expect(result.detail).toBe('no AWS credentials found');
    expect(result.hint).toMatch(/set AWS_PROFILE .* or AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY/);
  });

  it('fails on refused or expired credentials', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejects(serviceError('ExpiredToken', 403, 'The security token included in the request is expired'));
    const result = await callerIdentityCheck(doctorContext());
    expect(result.status).toBe('FAIL');
    expect(result.detail).toMatch(/^credentials refused: ExpiredToken \[HTTP 403\]/);
    expect(result.hint).toMatch(/renew or replace them/);
  });

  it("fails when the credentials are for another account than the env's", async () => {
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Arn: 'arn:aws:iam::999999999999:user/ops', Account: '999999999999' });
    const ctx = doctorContext({ envName: 'staging', overrides: { account: '111111111111' } });
    const result = await callerIdentityCheck(ctx);
    expect(result.status).toBe('FAIL');
    expect(result.detail).toMatch(/is in account 999999999999, but env staging deploys to 111111111111/);
  });

  it('is SKIP, never PASS, against an S3-compatible endpoint, and asks STS nothing', async () => {
    const result = await callerIdentityCheck(doctorContext({ endpoint: 'http://127.0.0.1:7480' }));
    expect(result.status).toBe('SKIP');
    expect(result.detail).toMatch(/no STS/);
    expect(sts.calls()).toHaveLength(0);
  });
});

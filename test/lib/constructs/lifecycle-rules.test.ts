import { lifecycleRuleSpecs } from '../../../lib/constructs/lifecycle-rules';

const base = { noncurrentVersionExpirationDays: 30, abortIncompleteMultipartUploadDays: 7 };

describe('lifecycleRuleSpecs', () => {
  it('always aborts incomplete multipart uploads and expires noncurrent versions', () => {
    // Act / Assert
    expect(lifecycleRuleSpecs(base)).toEqual([
      { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadDays: 7 },
      { id: 'expire-noncurrent-versions', noncurrentVersionExpirationDays: 30 },
    ]);
  });

  it('archives and expires current versions, and expires extra prefixes, in that order', () => {
    // Act
    const rules = lifecycleRuleSpecs({
      ...base,
      archiveAfterDays: 30,
      archiveStorageClass: 'GLACIER',
      expirationDays: 90,
      prefixExpirationDays: { 'test/': 7, 'tmp/scratch/': 1 },
    });

    // Assert
    expect(rules.slice(2)).toEqual([
      { id: 'current-versions', transition: { storageClass: 'GLACIER', days: 30 }, expirationDays: 90 },
      { id: 'expire-test', prefix: 'test/', expirationDays: 7 },
      { id: 'expire-tmp-scratch', prefix: 'tmp/scratch/', expirationDays: 1 },
    ]);
  });

  it('has a current-versions rule with only what is set', () => {
    // Act / Assert
    expect(lifecycleRuleSpecs({ ...base, expirationDays: 30 })[2]).toEqual({
      id: 'current-versions',
      expirationDays: 30,
    });
    expect(
      lifecycleRuleSpecs({ ...base, archiveAfterDays: 90, archiveStorageClass: 'GLACIER_IR' })[2],
    ).toEqual({
      id: 'current-versions',
      transition: { storageClass: 'GLACIER_IR', days: 90 },
    });
  });
});

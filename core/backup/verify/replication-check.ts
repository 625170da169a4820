import type { BackupObject } from './backup-object';
import { failed, passed, type CheckResult } from './verification-report';

/**
 * Replication (where required): the object's ReplicationStatus must be COMPLETED (S3 also spells it COMPLETE).
 * PENDING is a failure too: with Replication Time Control a nightly backup replicates within minutes, so one
 * still pending hours later is stuck.
 */
export function checkReplication(object: BackupObject, ageHours: number): CheckResult {
  const status = object.replicationStatus;
  switch (status) {
    case 'COMPLETED':
    case 'COMPLETE':
      return passed('replication', 'COMPLETED');
    case 'PENDING':
      return failed('replication', `still PENDING ${ageHours} h after the backup was taken`);
    case 'FAILED':
      return failed('replication', 'FAILED: the replica bucket does not have this backup');
    case undefined:
      return failed('replication', 'no replication status: the object is not covered by a replication rule');
    default:
      return failed('replication', `unexpected replication status ${status}`);
  }
}

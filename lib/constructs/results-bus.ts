import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { RESULTS_EVENT_SOURCE, SCAN_RESULT_DETAIL_TYPE } from '../../core/events/scan-result-event';
import { LogicalIdGroup } from './logical-id-group';

export interface ResultsBusProps {
  /** Name of the bus, and of its archive. */
  readonly busName: string;
  /** Environment name, in the bus's description. */
  readonly envName: string;
  /** Days the archive keeps each verdict. */
  readonly archiveRetentionDays: number;
  /** Customer-managed key of the bus and the archive. */
  readonly encryptionKey: kms.IKey;
}

/**
 * The results bus (docs/architecture.md, upload flow): the scan handler publishes every verdict on it
 * (RESULTS_EVENT_SOURCE / SCAN_RESULT_DETAIL_TYPE), rules route them to the quarantine and process queues, and an
 * archive keeps them for replay to new subscribers and recovery. Both are encrypted with the messaging key. A
 * LogicalIdGroup: the bus and the archive keep the logical IDs `ResultsBus…` and `ResultsArchive…`.
 */
export class ResultsBus extends LogicalIdGroup {
  /** The bus. */
  readonly bus: events.EventBus;
  /** Its archive of every verdict. */
  readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: ResultsBusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'ResultsBus', {
      eventBusName: props.busName,
      description: `Stowage ${props.envName}: scan verdicts (${RESULTS_EVENT_SOURCE} / ${SCAN_RESULT_DETAIL_TYPE})`,
      kmsKey: props.encryptionKey,
    });
    this.archive = new events.Archive(this, 'ResultsArchive', {
      archiveName: props.busName,
      description: 'Every scan verdict, for replay to new subscribers and recovery',
      sourceEventBus: this.bus,
      eventPattern: { source: [RESULTS_EVENT_SOURCE] },
      retention: Duration.days(props.archiveRetentionDays),
      kmsKey: props.encryptionKey,
    });
  }
}

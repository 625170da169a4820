import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  STATUS_TABLE_OWNER_INDEX,
  STATUS_TABLE_OWNER_INDEX_PARTITION_KEY,
  STATUS_TABLE_OWNER_INDEX_SORT_KEY,
  STATUS_TABLE_PARTITION_KEY,
  STATUS_TABLE_PARTITION_KEY_TYPE,
  STATUS_TABLE_TTL_ATTRIBUTE,
} from '../../core/status/status-table';
import { acknowledge } from '../compliance/acknowledgements';

export interface StatusTableProps {
  /** Customer-managed key of the table. */
  readonly encryptionKey: kms.IKey;
  /** Deletion protection on (environments that retain their data). */
  readonly deletionProtection: boolean;
  /** Removal policy of the table. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The table of upload status records (core/status/status-table.ts holds its keys, owner index and TTL attribute),
 * with a global secondary index of each owner's records by time: on-demand,
 * point-in-time recovery, encrypted with a customer-managed key. The table is the construct's `Default` child, so
 * its logical ID is the one the construct's id gives (a renamed table would be replaced, and its records lost).
 */
export class StatusTable extends Construct {
  /** The table. */
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StatusTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Default', {
      partitionKey: {
        name: STATUS_TABLE_PARTITION_KEY,
        type:
          STATUS_TABLE_PARTITION_KEY_TYPE === 'S'
            ? dynamodb.AttributeType.STRING
            : dynamodb.AttributeType.BINARY,
      },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      timeToLiveAttribute: STATUS_TABLE_TTL_ATTRIBUTE,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
    // One owner's uploads newest first (GET /uploads): all attributes, so a page needs no GetItem per record.
    this.table.addGlobalSecondaryIndex({
      indexName: STATUS_TABLE_OWNER_INDEX,
      partitionKey: { name: STATUS_TABLE_OWNER_INDEX_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: STATUS_TABLE_OWNER_INDEX_SORT_KEY, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    acknowledge(this.table, 'statusTableCoveredByPitr');
  }
}

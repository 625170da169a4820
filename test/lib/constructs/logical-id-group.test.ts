import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { LogicalIdGroup, outsideGroups } from '../../../lib/constructs/logical-id-group';

/** A stack that allocates logical IDs as IntakeStack does. */
class GroupingStack extends Stack {
  protected override allocateLogicalId(element: CfnElement): string {
    return super.allocateLogicalId(outsideGroups(element));
  }
}

function logicalIds(build: (scope: Construct) => void, StackType: typeof Stack): string[] {
  const stack = new StackType(new App(), 'Test');
  build(stack);
  return Object.keys(Template.fromStack(stack).toJSON().Resources).sort();
}

describe('LogicalIdGroup', () => {
  it('gives grouped resources the logical IDs they have as children of the group’s scope', () => {
    // Arrange
    const flat = logicalIds((scope) => {
      new sqs.Queue(scope, 'IntakeQueue');
      new sqs.Queue(scope, 'Other');
    }, Stack);

    // Act
    const grouped = logicalIds((scope) => {
      const group = new LogicalIdGroup(scope, 'Scan');
      new sqs.Queue(group, 'IntakeQueue');
      new sqs.Queue(new LogicalIdGroup(group, 'Nested'), 'Other');
    }, GroupingStack);

    // Assert
    expect(grouped).toEqual(flat);
    expect(grouped).toEqual([expect.stringMatching(/^IntakeQueue/), expect.stringMatching(/^Other/)]);
  });

  it('changes nothing for constructs that are not groups', () => {
    expect(logicalIds((scope) => new sqs.Queue(new LogicalIdGroup(scope, 'G'), 'Q'), Stack)).toEqual([
      expect.stringMatching(/^GQ/),
    ]);
  });

  it('fails synthesis when two groups give the same logical ID twice', () => {
    const stack = new GroupingStack(new App(), 'Test');
    new sqs.Queue(new LogicalIdGroup(stack, 'A'), 'Queue');
    new sqs.Queue(new LogicalIdGroup(stack, 'B'), 'Queue');
    expect(() => Template.fromStack(stack)).toThrow(/Queue/);
  });
});

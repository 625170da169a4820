import type { CfnElement } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';

const GROUPS = new WeakSet<IConstruct>();

/**
 * A construct that groups resources without taking part in their logical IDs: its children get the logical IDs they
 * would have as children of its scope. Stacks composed of these keep the logical IDs they had when they built the
 * resources themselves; a changed logical ID would replace a table, a queue or an archive (and its data), and change
 * the values other stacks import. The stack must allocate logical IDs with `logicalIdOutsideGroups`
 * (IntakeStack does). Two groups in one scope that create children with the same id fail synthesis (CloudFormation
 * would get one logical ID twice).
 */
export class LogicalIdGroup extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    GROUPS.add(this);
  }
}

/**
 * A view of `element` whose path skips every LogicalIdGroup, for Stack.allocateLogicalId: the logical ID CDK computes
 * from it is the one the element would have without the groups.
 */
export function outsideGroups(element: CfnElement): CfnElement {
  const scopes = element.node.scopes.filter((scope) => !GROUPS.has(scope));
  if (scopes.length === element.node.scopes.length) return element;
  const view: CfnElement = Object.create(element) as CfnElement;
  // Stack.allocateLogicalId reads the element's scopes and its stack, nothing else.
  Object.defineProperty(view, 'node', { value: { id: element.node.id, scopes } });
  return view;
}

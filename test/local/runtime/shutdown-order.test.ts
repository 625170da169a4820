import { SHUTDOWN_ORDER, ShutdownPlan } from '../../../local/runtime/shutdown-order';

describe('local mode shutdown order', () => {
  it('is: supervision, http, verifier, queues, dead letters, metrics, clients, servers, state, lock', () => {
    expect(SHUTDOWN_ORDER).toEqual([
      'supervision',
      'http',
      'verifier',
      'queues',
      'dead-letters',
      'metrics',
      'clients',
      'servers',
      'state',
      'lock',
    ]);
  });

  it('runs the steps in that order whatever order they were added in, newest first within a step', async () => {
    // Arrange: added in start-up order.
    const ran: string[] = [];
    const plan = new ShutdownPlan();
    plan.add('lock', () => void ran.push('lock'));
    plan.add('servers', () => void ran.push('rgw'));
    plan.add('servers', () => void ran.push('clamd'));
    plan.add('clients', () => void ran.push('s3'));
    plan.add('queues', async () => void ran.push('queues'));
    plan.add('http', () => void ran.push('http'));
    plan.add('verifier', () => void ran.push('verifier'));
    plan.add('state', () => void ran.push('state'));
    plan.add('supervision', () => void ran.push('supervision'));
    // Act
    const problems = await plan.run();
    // Assert
    expect(problems).toEqual([]);
    expect(ran).toEqual(['supervision', 'http', 'verifier', 'queues', 's3', 'clamd', 'rgw', 'state', 'lock']);
  });

  it('runs every step even when one fails, reports each failure with its step, and runs nothing twice', async () => {
    // Arrange
    const ran: string[] = [];
    const plan = new ShutdownPlan();
    plan.add('lock', () => void ran.push('lock'));
    plan.add('servers', () => {
      throw new Error('radosgw did not exit');
    });
    plan.add('http', async () => Promise.reject(new Error('close failed')));
    // Act
    const first = await plan.run();
    const second = await plan.run();
    // Assert
    expect(first).toEqual(['http: close failed', 'servers: radosgw did not exit']);
    expect(ran).toEqual(['lock']);
    expect(second).toEqual([]);
  });

  it('lists what is registered, one entry per stopper, in the order it stops', () => {
    // Arrange
    const plan = new ShutdownPlan();
    plan.add('lock', () => undefined);
    plan.add('servers', () => undefined);
    plan.add('clients', () => undefined);
    plan.add('servers', () => undefined);
    plan.add('http', () => undefined);
    // Act
    const registered = plan.registered();
    // Assert
    expect(registered).toEqual(['http', 'clients', 'servers', 'servers', 'lock']);
  });
});

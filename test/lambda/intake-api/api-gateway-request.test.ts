import { toApiRequest } from '../../../lambda/intake-api/api-gateway-request';
import { httpApiEvent } from './api-gateway-events';

describe('toApiRequest', () => {
  it('takes method, path, body, JWT sub and request id from the event', () => {
    // Act
    const request = toApiRequest(httpApiEvent({ method: 'post', rawPath: '/uploads', body: '{"a":1}' }));

    // Assert
    expect(request).toEqual({
      method: 'POST',
      path: '/uploads',
      body: '{"a":1}',
      subject: 'user-1',
      requestId: 'Ab1cDefGhIjKlM=',
    });
  });

  it('decodes a base64-encoded body', () => {
    // Act
    const request = toApiRequest(
      httpApiEvent({ body: Buffer.from('{"fileName":"ä.pdf"}').toString('base64'), isBase64Encoded: true }),
    );

    // Assert
    expect(request.body).toBe('{"fileName":"ä.pdf"}');
  });

  it('drops the prefix a named stage adds to the path', () => {
    // Act
    const request = toApiRequest(httpApiEvent({ rawPath: '/prod/uploads/abc', stage: 'prod' }));

    // Assert
    expect(request.path).toBe('/uploads/abc');
  });

  it('keeps a path that merely starts like the stage name', () => {
    // Act
    const request = toApiRequest(httpApiEvent({ rawPath: '/uploads', stage: 'up' }));

    // Assert
    expect(request.path).toBe('/uploads');
  });

  it.each([
    ['no authorizer', null],
    ['no sub claim', { email: 'a@b' }],
    ['an empty sub', { sub: '' }],
    ['a numeric sub', { sub: 42 }],
    ['a list as sub', { sub: ['a'] }],
  ])('has no subject with %s', (_case, claims) => {
    // Act / Assert
    expect(toApiRequest(httpApiEvent({ claims })).subject).toBeUndefined();
  });
});

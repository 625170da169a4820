import { uploadsCorsRule } from '../../../lib/buckets/bucket-cors';

describe('uploadsCorsRule', () => {
  it('allows the config origins plus extra ones, once each, to post uploads and read the ETag', () => {
    // Act
    const rule = uploadsCorsRule(
      { cors: { allowedOrigins: ['https://app.example.com', 'http://localhost:5173'] } },
      ['http://127.0.0.1:8787', 'http://localhost:5173'],
    );

    // Assert
    expect(rule).toEqual({
      allowedMethods: ['POST', 'PUT', 'GET', 'HEAD'],
      allowedOrigins: ['https://app.example.com', 'http://localhost:5173', 'http://127.0.0.1:8787'],
      allowedHeaders: ['Content-Type', 'Authorization', 'x-amz-*'],
      exposedHeaders: ['ETag'],
      maxAgeSeconds: 3600,
    });
  });
});

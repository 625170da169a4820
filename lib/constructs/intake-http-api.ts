import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface IntakeHttpApiProps {
  /** The handler behind every route. */
  readonly handler: lambda.IFunction;
  /** Issuer (`iss`) of accepted JWTs. */
  readonly jwtIssuer: string;
  /** Accepted JWT audiences. */
  readonly jwtAudiences: readonly string[];
  /** Browser origins allowed to call the API (CORS). */
  readonly allowedOrigins: readonly string[];
  /** Steady-state requests per second of the stage. */
  readonly throttlingRateLimit: number;
  /** Burst limit of the stage. */
  readonly throttlingBurstLimit: number;
  /** Retention of the access log group, in days. */
  readonly logRetentionDays: number;
  /** Removal policy of the access log group. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Key of the access log group. @default CloudWatch Logs' own encryption */
  readonly logEncryptionKey?: kms.IKey;
}

/** One JSON access-log line per request: who, what, how it went, and why (authorizer, integration). */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  sub: '$context.authorizer.claims.sub',
  authorizerError: '$context.authorizer.error',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  integrationError: '$context.integration.error',
  errorMessage: '$context.error.message',
};

/**
 * The presign/list/status/download HTTP API (docs/architecture.md, upload flow): `POST /uploads`, `GET /uploads`,
 * `GET /uploads/{uploadId}` and `GET /uploads/{uploadId}/download`, all behind a JWT authorizer, on a `$default` stage with throttling and
 * JSON access logs. Nothing else is routed.
 */
export class IntakeHttpApi extends Construct {
  /** The API. */
  readonly api: apigwv2.HttpApi;
  /** Its stage. */
  readonly stage: apigwv2.HttpStage;
  /** The access log group. */
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: IntakeHttpApiProps) {
    super(scope, id);
    if (props.jwtAudiences.length === 0)
      throw new Error(`IntakeHttpApi ${id}: jwtAudiences must not be empty`);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.logRemovalPolicy,
      encryptionKey: props.logEncryptionKey,
    });

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, {
      jwtAudience: [...props.jwtAudiences],
      identitySource: ['$request.header.Authorization'],
    });

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Stowage intake: presigned uploads and upload status',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      corsPreflight: {
        allowOrigins: [...props.allowedOrigins],
        allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST],
        allowHeaders: ['Authorization', 'Content-Type'],
        maxAge: Duration.hours(1),
      },
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttlingRateLimit, burstLimit: props.throttlingBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const integration = new HttpLambdaIntegration('Handler', props.handler, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    this.api.addRoutes({
      path: '/uploads',
      methods: [apigwv2.HttpMethod.POST, apigwv2.HttpMethod.GET],
      integration,
      authorizer,
    });
    this.api.addRoutes({
      path: '/uploads/{uploadId}',
      methods: [apigwv2.HttpMethod.GET],
      integration,
      authorizer,
    });
    this.api.addRoutes({
      path: '/uploads/{uploadId}/download',
      methods: [apigwv2.HttpMethod.GET],
      integration,
      authorizer,
    });
    this.pinInvokePermissions();
  }

  /**
   * Adds `SourceAccount` to every invoke permission of the API's routes (they carry only a SourceArn,
   * built with Fn::Join): both conditions, and the Control Tower check can see them.
   */
  private pinInvokePermissions(): void {
    for (const child of this.api.node.findAll()) {
      if (child instanceof lambda.CfnPermission) child.sourceAccount = Stack.of(this).account;
    }
  }

  /** The API's base URL. */
  get url(): string {
    return this.api.apiEndpoint;
  }
}

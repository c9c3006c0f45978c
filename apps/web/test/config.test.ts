import { describe, expect, it } from 'vitest';
import { parseWebConfig } from '../src/lib/config';

describe('the web app configuration', () => {
  it('when nothing is set, then it reads the gateway on its local port and pays in the sandbox', () => {
    expect(parseWebConfig({})).toEqual({
      GATEWAY_URL: 'http://127.0.0.1:3000',
      PLATFORM_FEE_PERCENT: 10,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_TRACES_SAMPLER_ARG: 1,
      // The services' batch defaults, not the SDK's (5 s, a queue of 2,048).
      OTEL_BSP_SCHEDULE_DELAY: 500,
      OTEL_BSP_EXPORT_TIMEOUT: 30_000,
      OTEL_BSP_MAX_QUEUE_SIZE: 8_192,
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 512,
    });
  });

  it('when batch keys are set, then they are whole numbers and a batch may not exceed the queue, as in the services', () => {
    expect(
      parseWebConfig({ OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '' }),
    ).toMatchObject({ OTEL_BSP_SCHEDULE_DELAY: 100, OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 512 });
    expect(() => parseWebConfig({ OTEL_BSP_MAX_QUEUE_SIZE: '0.5' })).toThrow(
      'Invalid configuration: OTEL_BSP_MAX_QUEUE_SIZE: Must be a whole number',
    );
    expect(() =>
      parseWebConfig({ OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512' }),
    ).toThrow(
      'Invalid configuration: OTEL_BSP_MAX_EXPORT_BATCH_SIZE: Must not exceed OTEL_BSP_MAX_QUEUE_SIZE',
    );
  });

  it('when tracing keys are set, then they are checked as the services check them; blank ones count as unset', () => {
    expect(
      parseWebConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.1',
      }),
    ).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: 0.1,
    });
    // Compose passes `${OTEL_EXPORTER_OTLP_ENDPOINT:-}`: empty means no tracing.
    expect(parseWebConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBe(
      undefined,
    );
    expect(() =>
      parseWebConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4318',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_SAMPLER_ARG: '2',
      }),
    ).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: Must be an http\(s\) URL; OTEL_TRACES_SAMPLER: .*; OTEL_TRACES_SAMPLER_ARG: Must be between 0 and 1/,
    );
  });

  it('when the Stripe key is blank, then it counts as unset', () => {
    expect(parseWebConfig({ STRIPE_PUBLISHABLE_KEY: '' }).STRIPE_PUBLISHABLE_KEY).toBeUndefined();
  });

  it('when keys are wrong, then one line names each of them', () => {
    expect(() =>
      parseWebConfig({ GATEWAY_URL: 'gateway:3000', STRIPE_PUBLISHABLE_KEY: 'sk_live_secret' }),
    ).toThrow(
      'Invalid configuration: GATEWAY_URL: Must be an http(s) URL; STRIPE_PUBLISHABLE_KEY: Must be a Stripe publishable key (pk_…)',
    );
  });
});

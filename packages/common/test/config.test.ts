import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  baseConfigSchema,
  ConfigError,
  env,
  loadConfig,
  natsConfigSchema,
  splitUrlList,
} from '../src/index.js';

const schema = baseConfigSchema
  .extend({
    PORT: env.port(3002),
    DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/tickets'),
    FEATURE: env.boolean(false),
    ORDER_EXPIRATION_SECONDS: env.positiveInt(900),
  })
  .and(natsConfigSchema);

describe('loadConfig', () => {
  it('when nothing is set, then every key takes its documented local default', () => {
    const config = loadConfig(schema, {});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      HOST: '0.0.0.0',
      PORT: 3002,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tickets',
      FEATURE: false,
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_STREAM: 'GITTIX',
      ORDER_EXPIRATION_SECONDS: 900,
    });
  });

  it('when OTEL_EXPORTER_OTLP_ENDPOINT is empty, then it counts as unset (Compose passes it empty), and a bad one is refused', () => {
    expect(
      loadConfig(schema, { OTEL_EXPORTER_OTLP_ENDPOINT: '' }).OTEL_EXPORTER_OTLP_ENDPOINT,
    ).toBe(undefined);
    expect(
      loadConfig(schema, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' })
        .OTEL_EXPORTER_OTLP_ENDPOINT,
    ).toBe('http://otel-collector:4318');
    expect(() => loadConfig(schema, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: Must be a URL/,
    );
  });

  it('when the OpenTelemetry sampler and protocol are set, then the spec names are taken and others refused', () => {
    expect(loadConfig(schema, {})).toMatchObject({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_TRACES_SAMPLER_ARG: 1,
    });
    expect(
      loadConfig(schema, {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toMatchObject({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: 0.25,
    });
    expect(
      loadConfig(schema, { OTEL_TRACES_SAMPLER: '', OTEL_EXPORTER_OTLP_PROTOCOL: '' }),
    ).toMatchObject({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    });
    expect(() => loadConfig(schema, { OTEL_TRACES_SAMPLER_ARG: '1.5' })).toThrow(
      /OTEL_TRACES_SAMPLER_ARG/,
    );
    expect(() => loadConfig(schema, { OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(
      /OTEL_TRACES_SAMPLER/,
    );
    expect(() => loadConfig(schema, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL/,
    );
    expect(
      loadConfig(schema, { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '128', OTEL_BSP_SCHEDULE_DELAY: '' }),
    ).toMatchObject({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 128, OTEL_BSP_SCHEDULE_DELAY: 500 });
    expect(() => loadConfig(schema, { OTEL_BSP_MAX_QUEUE_SIZE: '0' })).toThrow(
      /OTEL_BSP_MAX_QUEUE_SIZE/,
    );
  });

  it('when values are given as strings, then they are coerced to their types', () => {
    const config = loadConfig(schema, {
      PORT: '4000',
      FEATURE: 'true',
      ORDER_EXPIRATION_SECONDS: '5',
    });
    expect(config.PORT).toBe(4000);
    expect(config.FEATURE).toBe(true);
    expect(config.ORDER_EXPIRATION_SECONDS).toBe(5);
  });

  it('when keys are invalid, then one ConfigError line names every bad key', () => {
    const attempt = () =>
      loadConfig(schema, { PORT: 'eighty', DATABASE_URL: 'not a url', NATS_STREAM: 'a.b' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toMatch(/^Invalid configuration: /);
      expect(message).toContain('PORT');
      expect(message).toContain('DATABASE_URL');
      expect(message).toContain('NATS_STREAM');
    }
  });

  it('when NATS_URL lists the servers of a cluster, then it is kept as given and each server is split out', () => {
    const list = 'nats://10.0.0.1:4222, nats://10.0.0.2:4222,nats://10.0.0.3:4222';
    const config = loadConfig(schema, { NATS_URL: list, NATS_STREAM_REPLICAS: '3' });

    expect(config.NATS_URL).toBe(list);
    expect(config.NATS_STREAM_REPLICAS).toBe(3);
    expect(splitUrlList(config.NATS_URL)).toEqual([
      'nats://10.0.0.1:4222',
      'nats://10.0.0.2:4222',
      'nats://10.0.0.3:4222',
    ]);
  });

  it.each([
    ['one entry is not a URL', 'nats://10.0.0.1:4222,not a url'],
    ['it is empty', ''],
    ['it is only commas', ' , '],
  ])('when NATS_URL is a list where %s, then it is refused', (_case, value) => {
    expect(() => loadConfig(schema, { NATS_URL: value })).toThrow(/NATS_URL/);
  });

  it('when a required key is missing, then the error names it', () => {
    const required = z.object({ STRIPE_SECRET_KEY: z.string().min(1) });
    expect(() => loadConfig(required, {})).toThrow(/STRIPE_SECRET_KEY/);
  });

  it('when a port is out of range or a boolean is not a boolean, then it is rejected', () => {
    expect(() => loadConfig(schema, { PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig(schema, { FEATURE: 'yes' })).toThrow(/FEATURE/);
  });
});

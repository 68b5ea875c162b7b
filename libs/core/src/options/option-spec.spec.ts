import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';

import { BallastOptionsError } from '../errors/ballast.error.js';
import { defineOptions, parseOptions } from './option-spec.js';

const sample = defineOptions(
  'SampleModule',
  {
    size: { schema: z.number().int().min(1).max(50).default(10), env: 'SAMPLE_SIZE', description: 'Size.' },
    mode: { schema: z.enum(['fast', 'safe']).default('safe'), env: 'SAMPLE_MODE', description: 'Mode.' },
    hosts: { schema: z.array(z.string()).default([]), env: 'SAMPLE_HOSTS', description: 'Hosts.' },
    token: { schema: z.string().min(4).optional(), env: 'SAMPLE_TOKEN', secret: true, description: 'Token.' },
    nested: {
      enabled: { schema: z.boolean().default(true), env: 'SAMPLE_ENABLED', description: 'On.' },
      low: { schema: z.number().default(1), description: 'Low.' },
      high: { schema: z.number().default(2), description: 'High.' },
    },
  },
  {
    check: (o) =>
      o.nested.low > o.nested.high ? [{ path: 'nested.low', message: 'must not exceed nested.high' }] : [],
  },
);

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BallastOptionsError);
    return (error as Error).message;
  }
  throw new Error('expected a BallastOptionsError');
}

describe('defineOptions', () => {
  it('fills every default, nested ones included', () => {
    expect(sample.parse({})).toEqual({ size: 10, mode: 'safe', hosts: [], nested: { enabled: true, low: 1, high: 2 } });
    expect(sample.parse(undefined).nested.enabled).toBe(true);
  });

  it('names the module, the option, its env variable, the value and what is allowed', () => {
    const message = messageOf(() => sample.parse({ size: 0 }));
    expect(message).toContain('SampleModule');
    expect(message).toContain('size (env SAMPLE_SIZE) = 0');
    expect(message).toMatch(/>=1/);
  });

  it('lists allowed values for an enum', () => {
    expect(messageOf(() => sample.parse({ mode: 'turbo' }))).toMatch(
      /mode \(env SAMPLE_MODE\) = "turbo".*"fast".*"safe"/,
    );
  });

  it('rejects unknown options and says which ones exist', () => {
    const message = messageOf(() => sample.parse({ sise: 3 }));
    expect(message).toContain('sise: unknown option');
    expect(message).toContain('allowed: size, mode, hosts, token, nested');
    expect(messageOf(() => sample.parse({ nested: { enable: false } }))).toContain('allowed: enabled, low, high');
  });

  it('reports every bad option at once', () => {
    const message = messageOf(() => sample.parse({ size: 100, mode: 'x' }));
    expect(message).toContain('size');
    expect(message).toContain('mode');
  });

  it('never echoes a secret', () => {
    const message = messageOf(() => sample.parse({ token: 'abc' }));
    expect(message).toContain('token (env SAMPLE_TOKEN) = [redacted]');
    expect(message).not.toContain('"abc"');
  });

  it('runs checks that cross options', () => {
    expect(messageOf(() => sample.parse({ nested: { low: 5, high: 2 } }))).toContain(
      'nested.low = 5: must not exceed nested.high',
    );
  });

  it('maps environment variables with their types', () => {
    const env: Record<string, string> = {
      SAMPLE_SIZE: ' 25 ',
      SAMPLE_MODE: 'fast',
      SAMPLE_HOSTS: 'a, b,c',
      SAMPLE_ENABLED: 'off',
    };
    const fromEnv = sample.fromEnv({ get: (name) => env[name] });
    expect(fromEnv).toEqual({ size: 25, mode: 'fast', hosts: ['a', 'b', 'c'], nested: { enabled: false } });
    expect(sample.parse(fromEnv).size).toBe(25);
  });

  it('leaves an unparseable environment value for validation to reject by name', () => {
    const fromEnv = sample.fromEnv({ get: (name) => (name === 'SAMPLE_SIZE' ? 'lots' : undefined) });
    expect(messageOf(() => sample.parse(fromEnv))).toContain('size (env SAMPLE_SIZE) = "lots"');
  });

  it('documents every option with type, default, bounds and env', () => {
    const docs = sample.docs();
    expect(docs.map((d) => d.path)).toEqual([
      'size',
      'mode',
      'hosts',
      'token',
      'nested.enabled',
      'nested.low',
      'nested.high',
    ]);
    expect(docs[0]).toMatchObject({ env: 'SAMPLE_SIZE', type: 'integer', default: '10', allowed: '>= 1, <= 50' });
    expect(docs[1]).toMatchObject({ type: 'enum', allowed: '"fast" | "safe"' });
    expect(docs[3]?.default).toBeUndefined();
  });

  it('documents a z.preprocess option by the type it produces, not as a transform', () => {
    const json = defineOptions('JsonModule', {
      limits: {
        schema: z.preprocess((v) => (typeof v === 'string' ? JSON.parse(v) : v), z.record(z.string(), z.number())),
        description: 'Limits.',
      },
      port: { schema: z.preprocess((v) => v, z.number().int().min(1)), description: 'Port.' },
    });
    expect(json.docs().map((d) => d.type)).toEqual(['record', 'integer']);
    expect(json.docs()[1]?.allowed).toBe('>= 1');
  });
});

describe('parseOptions', () => {
  it('validates free-form schemas with the same message format', () => {
    const schema = z.record(z.string(), z.object({ max: z.number().min(1) }));
    expect(parseOptions('PoolModule', schema, { main: { max: 3 } })).toEqual({ main: { max: 3 } });
    expect(messageOf(() => parseOptions('PoolModule', schema, { main: { max: 0 } }))).toContain(
      'PoolModule: invalid options',
    );
  });
});

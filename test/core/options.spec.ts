import { describe, expect, it } from '@jest/globals';
import {
  BALLAST_CORE_OPTIONS,
  BallastCoreModule,
  BallastOptionsError,
  coreOptions,
  optionsFromEnv,
  type BallastCoreOptions,
} from '@ballast/core';
import { Test } from '@nestjs/testing';

async function createError(options: unknown): Promise<Error> {
  const failure = await Test.createTestingModule({
    imports: [BallastCoreModule.forRoot(options as never)],
  })
    .compile()
    .then(() => undefined)
    .catch((error: unknown) => error);
  if (!(failure instanceof Error)) throw new Error('expected start-up to fail');
  return failure;
}

describe('BallastCoreModule options at start-up', () => {
  it('stops start-up with one message naming module, option, value and what is allowed', async () => {
    const error = await createError({ pagination: { maxPageSize: 0 } });
    expect(error).toBeInstanceOf(BallastOptionsError);
    expect(error.message).toContain('BallastCoreModule: invalid options');
    expect(error.message).toContain('pagination.maxPageSize (env MAX_PAGE_SIZE) = 0');
    expect(error.message).toContain('>=1');
  });

  it('rejects a metrics path that is not a path', async () => {
    expect((await createError({ metrics: { path: 'metrics' } })).message).toContain(
      'metrics.path (env BALLAST_METRICS_PATH) = "metrics": must be a URL path',
    );
  });

  it('rejects a default page size above the maximum', async () => {
    expect((await createError({ pagination: { defaultPageSize: 50, maxPageSize: 10 } })).message).toContain(
      'pagination.defaultPageSize (env DEFAULT_PAGE_SIZE) = 50: must not exceed pagination.maxPageSize (10)',
    );
  });

  it('never shows the admin token', async () => {
    const message = (await createError({ performanceApi: { adminToken: 'short' } })).message;
    expect(message).toContain('performanceApi.adminToken (env BALLAST_ADMIN_TOKEN) = [redacted]');
    expect(message).not.toContain('short"');
  });

  it('starts with no options at all', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [BallastCoreModule.forRoot()] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    expect(app.get<BallastCoreOptions>(BALLAST_CORE_OPTIONS).metrics.path).toBe('/metrics');
    await app.close();
  });

  it('reads the environment over the code defaults', () => {
    const env: Record<string, string> = { BALLAST_PERFORMANCE_API: 'false', MAX_PAGE_SIZE: '40' };
    const options = coreOptions.parse(
      optionsFromEnv(
        coreOptions,
        { get: (name) => env[name] },
        { performanceApi: { enabled: true }, pagination: { defaultPageSize: 5 } },
      ),
    );
    expect(options.performanceApi.enabled).toBe(false);
    expect(options.pagination).toEqual({ defaultPageSize: 5, maxPageSize: 40, overflow: 'reject' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BallastCoreModule } from '@ballast/core';
import { CacheModule, CacheRegistry, createKeyv } from '@ballast/cache';
import { CacheInterceptor, CacheKey, CacheModule as NestCacheModule, CacheTTL } from '@nestjs/cache-manager';
import { Controller, Get, Param, UseInterceptors, type INestApplication } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import request from 'supertest';

let calls = 0;

@Controller('nest-cached')
@UseInterceptors(CacheInterceptor)
class NestCachedController {
  @Get('fixed')
  @CacheKey('fixed-key')
  @CacheTTL(60_000)
  fixed() {
    return { calls: ++calls };
  }

  @Get('by-url/:id')
  byUrl(@Param('id') id: string) {
    return { id, calls: ++calls };
  }
}

describe('@nestjs/cache-manager on our store', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        BallastCoreModule.forRoot(),
        CacheModule.forRoot({ caches: { http: { ttlMs: 30_000, maxEntries: 100 } } }),
        NestCacheModule.registerAsync({
          inject: [CacheRegistry],
          useFactory: (caches: CacheRegistry) => ({ stores: [createKeyv(caches.get('http'))] }),
        }),
      ],
      controllers: [NestCachedController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  it('serves CacheInterceptor hits from our cache, honouring @CacheKey and @CacheTTL (ms)', async () => {
    const first = await request(app.getHttpServer()).get('/nest-cached/fixed').expect(200);
    const second = await request(app.getHttpServer()).get('/nest-cached/fixed').expect(200);
    expect(second.body).toEqual(first.body);
    const cache = app.get(CacheRegistry).get('http');
    expect(cache.peek('fixed-key')).toEqual(first.body);
    const ttl = cache.peekEntry('fixed-key')?.expiresAt;
    expect(typeof ttl).toBe('number');
    expect((ttl as number) - Date.now()).toBeGreaterThan(30_000);
  });

  it('keys by URL by default, one entry per URL', async () => {
    const a = await request(app.getHttpServer()).get('/nest-cached/by-url/a').expect(200);
    const b = await request(app.getHttpServer()).get('/nest-cached/by-url/b').expect(200);
    expect(b.body.calls).not.toBe(a.body.calls);
    expect((await request(app.getHttpServer()).get('/nest-cached/by-url/a')).body).toEqual(a.body);
    expect(app.get(CacheRegistry).get('http').peek('/nest-cached/by-url/a')).toEqual(a.body);
  });
});

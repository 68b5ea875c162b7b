import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BallastCoreModule } from '@ballast/core';
import { CacheEvict, CacheModule, CacheRegistry, CacheResponse, Cacheable, HttpCacheInterceptor } from '@ballast/cache';
import { expectNoNewHandles, snapshotHandles, type HandleSnapshot } from '@ballast/core/testing';
import {
  Controller,
  Get,
  Injectable,
  InternalServerErrorException,
  Module,
  Param,
  Post,
  UseInterceptors,
  type INestApplication,
} from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import request from 'supertest';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

@Injectable()
class TicketStatsService {
  computations = 0;
  writes = 0;

  @Cacheable({ cache: 'stats', key: (team: string) => `team-stats:${team}`, tags: ['team-stats'] })
  async forTeam(team: string): Promise<{ team: string; open: number; computation: number }> {
    const computation = ++this.computations;
    await sleep(30);
    return { team, open: 7, computation };
  }

  @Cacheable({ cache: 'stats' })
  async byDefaultKey(a: number, b: string): Promise<string> {
    this.computations++;
    return `${a}-${b}`;
  }

  @CacheEvict({ cache: 'stats', tags: ['team-stats'] })
  async recordTicket(team: string): Promise<string> {
    this.writes++;
    return team;
  }

  @CacheEvict({ cache: 'stats', key: (team: string) => `team-stats:${team}` })
  async failWrite(_team: string): Promise<void> {
    throw new Error('write failed');
  }
}

@Controller('tickets')
@UseInterceptors(HttpCacheInterceptor)
class TicketsController {
  runs: Record<string, number> = {};

  constructor(private readonly stats: TicketStatsService) {}

  private count(name: string): number {
    this.runs[name] = (this.runs[name] ?? 0) + 1;
    return this.runs[name]!;
  }

  @Get('stats')
  @CacheResponse({ cache: 'stats', ttlMs: 60_000 })
  async statistics() {
    const run = this.count('stats');
    await sleep(50);
    return { open: 12, closed: 30, run };
  }

  @Get('greeting')
  @CacheResponse({ cache: 'stats', varyBy: ['locale', 'user'] })
  greeting() {
    return { run: this.count('greeting') };
  }

  @Get('flaky')
  @CacheResponse({ cache: 'stats' })
  async flaky() {
    const run = this.count('flaky');
    await sleep(20);
    if (run === 1) throw new InternalServerErrorException('first run fails');
    return { run };
  }

  @Get('live')
  @CacheResponse({ disabled: true })
  live() {
    return { run: this.count('live') };
  }

  @Post('stats')
  record() {
    return { run: this.count('post') };
  }

  @Get('team/:team')
  team(@Param('team') team: string) {
    return this.stats.forTeam(team);
  }
}

@Module({ controllers: [TicketsController], providers: [TicketStatsService] })
class TicketsModule {}

describe('HttpCacheInterceptor and method decorators', () => {
  let app: INestApplication;
  let url: string;
  let controller: TicketsController;
  let service: TicketStatsService;
  let handles: HandleSnapshot;

  beforeAll(async () => {
    handles = snapshotHandles();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        BallastCoreModule.forRoot({ metrics: { defaultMetrics: false } }),
        CacheModule.forRoot({ caches: { stats: { ttlMs: 60_000 } } }),
        TicketsModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    // Stands in for an auth middleware.
    app.use((req: { headers: Record<string, string>; user?: { id: string } }, _res: unknown, next: () => void) => {
      if (req.headers['x-user']) req.user = { id: req.headers['x-user'] };
      next();
    });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    controller = app.get(TicketsController);
    service = app.get(TicketStatsService);
  });

  afterAll(async () => {
    await app.close();
    await expectNoNewHandles(handles);
  });

  it('runs the handler once for 100 concurrent cold GETs, over HTTP', async () => {
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => request(url).get('/tickets/stats').expect(200)),
    );
    expect(controller.runs.stats).toBe(1);
    expect(new Set(responses.map((r) => JSON.stringify(r.body)))).toEqual(
      new Set([JSON.stringify({ open: 12, closed: 30, run: 1 })]),
    );
    await request(url).get('/tickets/stats').expect(200);
    expect(controller.runs.stats).toBe(1);
    expect(app.get(CacheRegistry).get('stats').stats().coalesced).toBeGreaterThanOrEqual(1);
  });

  it('varies the key by locale and user', async () => {
    const get = (lang: string, user?: string) => {
      const call = request(url).get('/tickets/greeting').set('Accept-Language', lang);
      return (user ? call.set('x-user', user) : call).expect(200);
    };
    await get('fr-FR,fr;q=0.9');
    await get('fr-FR');
    expect(controller.runs.greeting).toBe(1);
    await get('de-DE');
    expect(controller.runs.greeting).toBe(2);
    await get('de-DE', 'alice');
    await get('de-DE', 'bob');
    await get('de-DE', 'alice');
    expect(controller.runs.greeting).toBe(4);
  });

  it('does not cache a failing handler, nor non-GET or disabled handlers', async () => {
    await request(url).get('/tickets/flaky').expect(500);
    expect((await request(url).get('/tickets/flaky').expect(200)).body).toEqual({ run: 2 });
    expect((await request(url).get('/tickets/flaky').expect(200)).body).toEqual({ run: 2 });

    await request(url).post('/tickets/stats').expect(201);
    await request(url).post('/tickets/stats').expect(201);
    expect(controller.runs.post).toBe(2);
    await request(url).get('/tickets/live');
    await request(url).get('/tickets/live');
    expect(controller.runs.live).toBe(2);
  });

  it('@Cacheable loads once for concurrent calls and @CacheEvict drops by tag after success only', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => service.forTeam('blue')));
    expect(service.computations).toBe(1);
    expect(results.every((r) => r.computation === 1)).toBe(true);
    expect((await request(url).get('/tickets/team/blue').expect(200)).body.computation).toBe(1);

    await expect(service.failWrite('blue')).rejects.toThrow('write failed');
    expect((await service.forTeam('blue')).computation).toBe(1);

    await service.recordTicket('blue');
    expect(service.writes).toBe(1);
    expect((await service.forTeam('blue')).computation).toBe(2);
  });

  it('@Cacheable keys by class, method and arguments by default', async () => {
    const before = service.computations;
    expect(await service.byDefaultKey(1, 'x')).toBe('1-x');
    expect(await service.byDefaultKey(1, 'x')).toBe('1-x');
    expect(await service.byDefaultKey(2, 'x')).toBe('2-x');
    expect(service.computations - before).toBe(2);
    expect(app.get(CacheRegistry).get('stats').keys('TicketStatsService.byDefaultKey:').sort()).toEqual([
      'TicketStatsService.byDefaultKey:[1,"x"]',
      'TicketStatsService.byDefaultKey:[2,"x"]',
    ]);
  });
});

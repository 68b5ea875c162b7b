import { CacheRegistry } from '@ballast/cache';
import { NeuralService } from '@ballast/neural';
import { PoolRegistry } from '@ballast/pool';
import { CircuitBreaker, Retry, Timeout } from '@ballast/resilience';
import { RESOURCE_TRACKER, type ResourceTracker } from '@ballast/tracker';
import { Controller, Get, Inject, Injectable } from '@nestjs/common';

@Injectable()
export class QuoteService {
  calls = 0;

  @Retry({ maxAttempts: 2 })
  @CircuitBreaker('quotes')
  @Timeout(1_000)
  async quote(): Promise<{ price: number; calls: number }> {
    this.calls += 1;
    return { price: 42, calls: this.calls };
  }
}

/** One endpoint per module, each answering from the real thing behind it. */
@Controller('probe')
export class ProbesController {
  constructor(
    private readonly pools: PoolRegistry,
    private readonly caches: CacheRegistry,
    private readonly neural: NeuralService,
    private readonly quotes: QuoteService,
    @Inject(RESOURCE_TRACKER) private readonly tracker: ResourceTracker,
  ) {}

  @Get('pool')
  async pool() {
    const rows: { one: number }[] = await this.pools.dataSource('main').query('SELECT 1 AS one');
    const pong = await this.pools.redis('main').ping();
    return { one: rows[0]?.one, pong };
  }

  @Get('cache')
  async cache() {
    const cache = this.caches.get<number>('default');
    let loads = 0;
    const load = async () => {
      loads += 1;
      return 7;
    };
    const [a, b] = await Promise.all([cache.wrap('seven', load), cache.wrap('seven', load)]);
    return { a, b, loads };
  }

  @Get('neural')
  async neuralProbe() {
    const out = await this.neural.predict('double', { x: { data: Float32Array.from([1, 2]), dims: [2] } });
    return { x: Array.from(out.x!.data as Float32Array) };
  }

  @Get('resilience')
  resilience() {
    return this.quotes.quote();
  }

  @Get('tracker')
  trackerProbe() {
    return this.tracker.stats;
  }
}

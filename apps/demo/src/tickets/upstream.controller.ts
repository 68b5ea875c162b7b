import { PoolRegistry } from '@ballast/pool';
import {
  BadGatewayException,
  BadRequestException,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Query,
} from '@nestjs/common';

import { FAKE_UPSTREAM } from '../infra/demo-infra.constants.js';
import { UPSTREAM_MODES, type FakeUpstream, type UpstreamMode } from '../infra/fake-upstream.js';
import { QuoteClient } from './quote.client.js';

/** Outbound calls through the `upstream` HTTP pool: bare, and behind breaker + retry + timeout + fallback. */
@Controller('upstream')
export class UpstreamController {
  constructor(
    private readonly pools: PoolRegistry,
    private readonly quotes: QuoteClient,
    @Inject(FAKE_UPSTREAM) private readonly fake: FakeUpstream | null,
  ) {}

  /** Straight through the pool: an upstream failure is the caller's failure. */
  @Get('quote')
  async quote() {
    const { statusCode, body } = await this.pools.http('upstream').request({ path: '/quote', method: 'GET' });
    if (statusCode !== 200) {
      await body.dump();
      throw new BadGatewayException(`upstream answered ${statusCode}`);
    }
    return { upstream: await body.json() };
  }

  /** Through the resilience stack: answers even while the upstream fails (stale, marked so). */
  @Get('resilient-quote')
  resilientQuote() {
    return this.quotes.quote();
  }

  /** Switches the stand-in upstream between ok, unavailable and slow, to watch the breaker work. */
  @Post('mode')
  @HttpCode(200)
  setMode(@Query('mode') mode?: string) {
    if (!this.fake) throw new ConflictException('UPSTREAM_URL points at a real upstream; its mode cannot be set');
    if (!UPSTREAM_MODES.includes(mode as UpstreamMode)) {
      throw new BadRequestException(`mode must be one of ${UPSTREAM_MODES.join(', ')}`);
    }
    this.fake.mode = mode as UpstreamMode;
    return { mode: this.fake.mode };
  }
}

import {
  Controller,
  Get,
  Header,
  Inject,
  Injectable,
  NotFoundException,
  UseGuards,
  type CanActivate,
} from '@nestjs/common';

import { BALLAST_CORE_OPTIONS, PERFORMANCE_API_PATH } from '../core.constants.js';
import type { BallastCoreOptions } from '../core.options.js';
import { uplotAssets } from './dashboard.assets.js';
import { dashboardHtml } from './dashboard.page.js';
import { DASHBOARD_PANELS } from './dashboard.panels.js';
import { DASHBOARD_SCRIPT } from './dashboard.script.js';

/** 404 while `dashboard.enabled` is off, so the routes do not exist for the app's users. */
@Injectable()
class DashboardEnabledGuard implements CanActivate {
  constructor(@Inject(BALLAST_CORE_OPTIONS) private readonly options: BallastCoreOptions) {}

  canActivate(): boolean {
    if (!this.options.dashboard.enabled) throw new NotFoundException();
    return true;
  }
}

/**
 * The live dashboard, beside the performance API it reads (same prefix, so relative URLs hold
 * under a global prefix). The page and its scripts carry no data and need no token: the data
 * requests do, with the token typed into the page or the app's own guard.
 */
@Controller(`${PERFORMANCE_API_PATH}/dashboard`)
@UseGuards(DashboardEnabledGuard)
export class DashboardController {
  private readonly html: string;

  constructor(@Inject(BALLAST_CORE_OPTIONS) options: BallastCoreOptions) {
    // Poll at the sample interval, but at least every 5 s so recommendations stay fresh.
    this.html = dashboardHtml(DASHBOARD_PANELS, Math.min(options.history.intervalMs, 5_000));
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  page(): string {
    return this.html;
  }

  @Get('app.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  script(): string {
    return DASHBOARD_SCRIPT;
  }

  @Get('uplot.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=86400')
  uplotScript(): string {
    return uplotAssets().script;
  }

  @Get('uplot.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=86400')
  uplotCss(): string {
    return uplotAssets().css;
  }
}

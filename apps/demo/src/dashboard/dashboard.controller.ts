import { Controller, Get, Header, Redirect } from '@nestjs/common';

import { DASHBOARD_HTML } from './dashboard.page.js';

@Controller()
export class DashboardController {
  @Get()
  @Redirect('dashboard', 302)
  root(): void {}

  @Get('dashboard')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  dashboard(): string {
    return DASHBOARD_HTML;
  }
}

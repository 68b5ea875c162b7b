import { Controller, Get, Redirect } from '@nestjs/common';

/**
 * Short URLs for the live dashboard, which @ballast/core serves beside the performance API
 * (`dashboard.enabled`): `/` and `/dashboard` both lead there.
 */
@Controller()
export class DashboardController {
  @Get()
  @Redirect('api/performance/dashboard', 302)
  root(): void {}

  @Get('dashboard')
  @Redirect('api/performance/dashboard', 302)
  dashboard(): void {}
}

import { ConfigurableModuleBuilder } from '@nestjs/common';

import type { ResourceTrackerModuleOptions } from './tracker.options.js';

export const {
  ConfigurableModuleClass: ConfigurableTrackerModule,
  MODULE_OPTIONS_TOKEN: TRACKER_MODULE_OPTIONS,
  OPTIONS_TYPE: TRACKER_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TRACKER_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ResourceTrackerModuleOptions>({ moduleName: 'ResourceTracker' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createResourceTrackerOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

import { ConfigurableModuleBuilder } from '@nestjs/common';

import type { BallastCoreModuleOptions } from './core.options.js';

export const {
  ConfigurableModuleClass: ConfigurableCoreModule,
  MODULE_OPTIONS_TOKEN: CORE_MODULE_OPTIONS,
  OPTIONS_TYPE: CORE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CORE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<BallastCoreModuleOptions>({ moduleName: 'BallastCore' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createBallastCoreOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

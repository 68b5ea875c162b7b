import { ConfigurableModuleBuilder } from '@nestjs/common';

import type { NeuralModuleOptions } from './neural.options.js';

export const {
  ConfigurableModuleClass: ConfigurableNeuralModule,
  MODULE_OPTIONS_TOKEN: NEURAL_MODULE_OPTIONS,
  OPTIONS_TYPE: NEURAL_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: NEURAL_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<NeuralModuleOptions>({ moduleName: 'Neural' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createNeuralOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

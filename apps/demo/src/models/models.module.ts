import { optionsFromEnv } from '@ballast/core';
import { NeuralModule, neuralOptions } from '@ballast/neural';
import { OnnxModelLoader } from '@ballast/neural/onnx';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { DemoModel } from './model-catalog.js';
import { ModelCatalogModule } from './model-catalog.module.js';
import { MODEL_CATALOG } from './models.constants.js';
import { ModelsController } from './models.controller.js';

const MB = 1024 * 1024;
@Module({
  imports: [
    ModelCatalogModule,
    NeuralModule.forRootAsync({
      imports: [ModelCatalogModule],
      inject: [ConfigService, MODEL_CATALOG],
      useFactory: (config: ConfigService, catalog: ReadonlyMap<string, DemoModel>) =>
        optionsFromEnv(neuralOptions, config, {
          loader: new OnnxModelLoader({
            resolve: ({ name }) => {
              const model = catalog.get(name);
              if (!model) throw new Error(`unknown model ${name}`);
              return model.bytes;
            },
            // Inference on a worker thread keeps the event loop free for every other request.
            execution: 'worker',
          }),
          maxBytes: 64 * MB,
          resultCache: { enabled: true },
        }),
    }),
  ],
  controllers: [ModelsController],
})
export class ModelsModule {}

import { Module } from '@nestjs/common';

import { buildModelCatalog } from './model-catalog.js';
import { MODEL_CATALOG } from './models.constants.js';

@Module({
  providers: [{ provide: MODEL_CATALOG, useFactory: buildModelCatalog }],
  exports: [MODEL_CATALOG],
})
export class ModelCatalogModule {}

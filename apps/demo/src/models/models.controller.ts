import { NeuralService } from '@ballast/neural';
import { BadRequestException, Body, Controller, Get, Inject, NotFoundException, Param, Post } from '@nestjs/common';

import { MODEL_CATALOG } from './models.constants.js';
import type { DemoModel } from './model-catalog.js';

const MAX_BATCH = 64;

/** Inference through the NeuralModule's cache: the first call loads the model, later ones reuse it. */
@Controller('models')
export class ModelsController {
  constructor(
    private readonly neural: NeuralService,
    @Inject(MODEL_CATALOG) private readonly catalog: ReadonlyMap<string, DemoModel>,
  ) {}

  @Get()
  list() {
    return {
      models: [...this.catalog].map(([name, m]) => ({
        name,
        inputSize: m.inputSize,
        outputSize: m.outputSize,
        fileBytes: m.bytes.byteLength,
      })),
    };
  }

  @Post(':name/predict')
  async predict(@Param('name') name: string, @Body() body: unknown) {
    const model = this.catalog.get(name);
    if (!model) throw new NotFoundException(`No model named ${JSON.stringify(name)}; GET /models lists them`);
    const rows = readBatch(body, model.inputSize);
    const data = Float32Array.from(rows.flat());
    const out = await this.neural.predict(name, { input: { data, dims: [rows.length, model.inputSize] } });
    const flat = Array.from(out.output!.data as Float32Array);
    return {
      model: name,
      output: rows.map((_, i) => flat.slice(i * model.outputSize, (i + 1) * model.outputSize)),
    };
  }
}

function readBatch(body: unknown, width: number): number[][] {
  const input = (body as { input?: unknown } | null)?.input;
  const shape = `{"input": [[${width} numbers], ...]} with 1 to ${MAX_BATCH} rows`;
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_BATCH) {
    throw new BadRequestException(`body must be ${shape}`);
  }
  input.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== width || !row.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new BadRequestException(`input[${i}] must be ${width} finite numbers; body must be ${shape}`);
    }
  });
  return input as number[][];
}

export const MODEL_CATALOG = Symbol('demo:model-catalog');

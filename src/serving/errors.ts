import { AppError } from '../core/errors.js';

/** No model is loaded yet (no artifact trained, or the first load failed): the API answers 503. */
export class ModelNotLoadedError extends AppError {
  constructor(kind: string) {
    super('MODEL_NOT_LOADED', `no ${kind} model is loaded`, { status: 503 });
  }
}

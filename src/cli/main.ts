import { Command } from 'commander';
import { AppError, EXIT_CODES } from '../core/errors.js';
import { registerDataCommands } from './data.js';
import { register as registerDb } from './db.js';
import { registerEvaluate } from './evaluate.js';
import { registerGenerate } from './generate.js';
import { registerTune } from './tune.js';
import { register as registerServe } from './serve.js';
import { register as registerStart } from './start.js';
import { registerArtifactCommands } from './artifacts.js';
import { registerRecommendCommand } from './recommend.js';
import { registerSimilarCommand } from './similar.js';
import { registerTrainCommand } from './train.js';
import { registerTui } from './tui.js';

/**
 * Builds the `recsys` program. Each command group lives in its own file exporting `register(program)`.
 * @example await buildProgram().parseAsync(['node', 'recsys', 'data', 'stats', 'ml-100k']);
 */
export function buildProgram(): Command {
  const program = new Command('recsys')
    .description('MovieLens recommendations on TensorFlow.js: data, training, evaluation and serving')
    .option('--verbose', 'print stack traces on errors')
    .showHelpAfterError();
  // command groups register here, one line each
  registerDataCommands(program);
  registerDb(program);
  registerEvaluate(program);
  registerGenerate(program);
  registerTune(program);
  registerServe(program);
  registerStart(program);
  registerTrainCommand(program);
  registerRecommendCommand(program);
  registerSimilarCommand(program);
  registerArtifactCommands(program);
  registerTui(program);
  return program;
}

/** Runs the CLI; maps typed errors to exit codes and prints messages without stacks unless --verbose. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const verbose = argv.includes('--verbose');
    if (error instanceof AppError) {
      process.stderr.write(`error [${error.code}]: ${error.message}\n`);
      if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
      process.exitCode = EXIT_CODES[error.code];
    } else {
      process.stderr.write(
        `error: ${error instanceof Error ? (verbose ? error.stack : error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  }
}

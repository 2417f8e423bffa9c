import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../core/log.js';

export interface PointerWatchOptions {
  /** A local folder to watch with fs.watch (the model's folder holding `current`), or null. */
  folder: string | null;
  /** Polling period in ms (remote stores, and a safety net where fs.watch misses events); 0 disables it. */
  intervalMs: number;
  /** Called on every change or tick; it decides itself whether anything changed. */
  check: () => Promise<void>;
  logger: Logger;
}

/**
 * Watches for a newly promoted artifact: fs.watch on the model's folder (the pointer is replaced by rename,
 * so the folder sees the event), debounced, plus polling. Checks never overlap; a change during a check runs
 * one more check after it. Timers are unref'd so a watch never keeps a process alive.
 * @example const watcher = watchPointer({ folder, intervalMs: 5000, check: () => service.reloadIfChanged(), logger });
 */
export function watchPointer(options: PointerWatchOptions): { close(): void } {
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  const run = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = options
      .check()
      .catch((error: unknown) =>
        options.logger.warn('artifact pointer check failed', {
          error: error instanceof Error ? error.message : String(error),
        }),
      )
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };

  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  if (options.folder) {
    try {
      watcher = watch(options.folder, { persistent: false }, () => {
        clearTimeout(debounce);
        debounce = setTimeout(run, 50);
        debounce.unref();
      });
      watcher.on('error', () => undefined);
    } catch (error) {
      // The folder may not exist yet (no artifact trained); polling covers it.
      options.logger.debug('fs.watch unavailable; polling only', {
        folder: options.folder,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const timer = options.intervalMs > 0 ? setInterval(run, options.intervalMs) : undefined;
  timer?.unref();
  return {
    close() {
      closed = true;
      clearTimeout(debounce);
      if (timer) clearInterval(timer);
      watcher?.close();
    },
  };
}

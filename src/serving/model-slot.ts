import type { ServableModel } from './ports.js';

type LoadedModel = ServableModel;

/** A request's hold on a model: the model stays alive until every lease on it is released. */
export interface ModelLease {
  readonly loaded: LoadedModel;
  /** Idempotent. */
  release(): void;
}

interface Entry {
  loaded: LoadedModel;
  leases: number;
  retired: boolean;
}

/**
 * The one reference to the serving model, swapped atomically. Requests take a lease for as long as they use
 * the model; `swap` installs a fully loaded model at once (new requests get it immediately) and disposes the
 * old one only when its last lease is released, so a swap under load fails no request and frees the old
 * tensors as soon as it can. Everything here is synchronous, so no interleaving can split a swap.
 * @example
 * const lease = slot.acquire(); try { await lease.loaded.model.recommend(users, 10); } finally { lease.release(); }
 */
export class ModelSlot {
  private entry: Entry | undefined;
  private readonly onDisposed: (loaded: LoadedModel) => void;

  constructor(options: { onDisposed?: (loaded: LoadedModel) => void } = {}) {
    this.onDisposed = options.onDisposed ?? (() => undefined);
  }

  /** The model new requests get, if one is loaded. */
  get current(): LoadedModel | undefined {
    return this.entry?.loaded;
  }

  /** A lease on the current model, or undefined when none is loaded. */
  acquire(): ModelLease | undefined {
    const entry = this.entry;
    if (!entry) return undefined;
    entry.leases += 1;
    let released = false;
    return {
      loaded: entry.loaded,
      release: () => {
        if (released) return;
        released = true;
        entry.leases -= 1;
        this.disposeIfIdle(entry);
      },
    };
  }

  /** Installs `next`; the previous model is disposed once its leases are released. Returns the previous. */
  swap(next: LoadedModel): LoadedModel | undefined {
    const previous = this.entry;
    this.entry = { loaded: next, leases: 0, retired: false };
    if (previous) {
      previous.retired = true;
      this.disposeIfIdle(previous);
    }
    return previous?.loaded;
  }

  /** Retires the current model (disposed when idle); the slot is empty afterwards. */
  clear(): void {
    const previous = this.entry;
    this.entry = undefined;
    if (previous) {
      previous.retired = true;
      this.disposeIfIdle(previous);
    }
  }

  private disposeIfIdle(entry: Entry): void {
    if (!entry.retired || entry.leases > 0) return;
    entry.retired = false; // dispose once
    entry.leases = Number.POSITIVE_INFINITY;
    entry.loaded.model.dispose();
    this.onDisposed(entry.loaded);
  }
}

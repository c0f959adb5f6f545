import type { Emitter } from './Emitter.js';
import type { CacheEvents, EngineState } from './types.js';

/**
 * The engine's `state`: closed, else what an operation is doing (syncing, auditing), else the
 * download queue's state. Emits `state` only when it changed.
 */
export class StateReporter {
  private busy: EngineState | undefined;
  private last = '';
  closed = false;

  constructor(
    private readonly events: Emitter<CacheEvents>,
    private readonly queueState: () => EngineState,
    private readonly onChange: (state: EngineState) => void,
  ) {}

  /** What the running operation is doing; undefined when it finished. */
  set(state: EngineState | undefined): void {
    this.busy = state;
    this.emit();
  }

  current(): EngineState {
    if (this.closed) return { state: 'closed' };
    return this.busy ?? this.queueState();
  }

  emit(): void {
    const state = this.current();
    const key = JSON.stringify(state);
    if (key === this.last) return;
    this.last = key;
    this.onChange(state);
    this.events.emit('state', state);
  }
}

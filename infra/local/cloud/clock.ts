/**
 * The one clock of the local cloud. Every date the emulated services record or compare goes
 * through it, so a test or a demo can move time forward (or run it faster) and see scheduled
 * rotations, recovery windows and purges happen without waiting days.
 */
export class Clock {
  private readonly realStart = Date.now();

  constructor(
    /** Milliseconds added to the scaled real time; persisted so time never runs backwards across a restart. */
    private offsetMs = 0,
    /** How many emulated milliseconds pass per real millisecond. */
    private readonly scale = 1,
  ) {}

  now(): number {
    const elapsed = Date.now() - this.realStart;
    return this.realStart + elapsed * this.scale + this.offsetMs;
  }

  date(): Date {
    return new Date(this.now());
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    this.offsetMs += ms;
  }

  /** Moves the clock to `epochMs`, never backwards. */
  setTo(epochMs: number): void {
    this.advance(Math.max(0, epochMs - this.now()));
  }

  get offset(): number {
    // Fold the scaled part into the offset so a restarted clock continues where this one is.
    return this.now() - Date.now();
  }
}

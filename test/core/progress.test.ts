import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { createProgressRenderer, formatAmount, formatDuration, formatRate } from '../../src/core/progress.js';

/** A stream that keeps what is written to it, synchronously (a Writable would buffer until a later tick). */
function sink(): { stream: NodeJS.WritableStream; text: () => string } {
  let text = '';
  const stream = {
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { stream, text: () => text };
}

describe('createProgressRenderer', () => {
  it('redraws one bar line with percentage, amounts, rate and ETA on a TTY', () => {
    const out = sink();
    let now = 0;
    const render = createProgressRenderer({ stream: out.stream, tty: true, intervalMs: 0, now: () => now });
    render({ phase: 'download ml-1m', done: 0, total: 4 * 1024 * 1024, unit: 'bytes' });
    now = 1000;
    render({ phase: 'download ml-1m', done: 1024 * 1024, total: 4 * 1024 * 1024, unit: 'bytes' });
    now = 4000;
    render({ phase: 'download ml-1m', done: 4 * 1024 * 1024, total: 4 * 1024 * 1024, unit: 'bytes' });
    const frames = out.text().split('\r\x1b[2K').filter(Boolean);
    expect(frames[1]).toContain('25.0%');
    expect(frames[1]).toContain('1.0 MB/4.0 MB');
    expect(frames[1]).toContain('1.0 MB/s');
    expect(frames[1]).toContain('ETA 3.0s');
    expect(frames.at(-1)).toContain('100.0%');
    expect(out.text().endsWith('\n')).toBe(true);
  });

  it('writes plain lines off a TTY: the start, then at most one per interval, and the end', () => {
    const out = sink();
    let now = 0;
    const render = createProgressRenderer({
      stream: out.stream,
      tty: false,
      intervalMs: 5000,
      now: () => now,
    });
    render({ phase: 'etl', done: 0, total: 100, unit: 'rows' });
    for (now = 100; now < 11_000; now += 100)
      render({ phase: 'etl', done: now / 200, total: 100, unit: 'rows' });
    now = 12_000;
    render({ phase: 'etl', done: 100, total: 100, unit: 'rows', detail: 'ok' });
    const lines = out.text().trim().split('\n');
    expect(lines[0]).toBe('etl: started (100)');
    // Start, one line at 5 s, one at 10 s, the end.
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain('25/100');
    expect(lines.at(-1)).toMatch(/^etl .*100\.0%.*ok$/);
    expect(out.text()).not.toContain('\r');
  });
});

describe('formatting', () => {
  it('formats amounts, rates and durations for people', () => {
    expect(formatAmount(1536, 'bytes')).toBe('1.5 KB');
    expect(formatAmount(1234567, 'rows')).toBe('1,234,567');
    expect(formatRate(0.25, 'trials')).toBe('15.0/min');
    expect(formatRate(2048, 'bytes')).toBe('2.0 KB/s');
    expect(formatDuration(4.24)).toBe('4.2s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3720)).toBe('1h02m');
  });
});

describe('createLogger', () => {
  it('drops messages below its level and writes JSON lines when asked', () => {
    const out = sink();
    const log = createLogger({ level: 'warn', json: true, stream: out.stream, base: { service: 'api' } });
    log.info('hidden');
    log.warn('shown', { code: 7 });
    expect(log.enabled('info')).toBe(false);
    expect(log.enabled('error')).toBe(true);
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'warn',
      msg: 'shown',
      code: 7,
      service: 'api',
    });
  });
});

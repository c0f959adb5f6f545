import { describe, expect, it } from 'vitest';
import type { ChunkNews } from '../../../src/playback/PlaybackReport.js';
import { ReaderPorts, readerPorts } from '../../../src/playback/ReaderPorts.js';
import { until } from '../../helpers/wait.js';

describe('ReaderPorts', () => {
  it('posts news on every port and delivers what comes in to every subscriber', async () => {
    const engineSide = new ReaderPorts();
    const readerSide = new ReaderPorts();
    const line = new MessageChannel();
    engineSide.add(line.port1);
    readerSide.add(line.port2);
    const heard: ChunkNews[] = [];
    const stop = readerSide.subscribe((n) => heard.push(n));
    engineSide.post({ type: 'stored', digests: ['a'] });
    await until(() => heard.length === 1, 2000, 'news on the line');
    expect(heard[0]).toEqual({ type: 'stored', digests: ['a'] });
    stop();
    engineSide.post({ type: 'stored', digests: ['b'] });
    await new Promise((r) => setTimeout(r, 30));
    expect(heard).toHaveLength(1);
    line.port1.close();
    line.port2.close();
  });

  it('keeps the 4 newest ports; an older one is closed', async () => {
    const side = new ReaderPorts();
    const lines = Array.from({ length: 5 }, () => new MessageChannel());
    lines.forEach((l) => side.add(l.port1));
    expect(side.size).toBe(4);
    const got: number[] = [];
    lines.forEach((l, i) => (l.port2.onmessage = () => got.push(i)));
    side.post({ type: 'stored', digests: [] });
    await until(() => got.length === 4, 2000, 'four ports');
    expect(got.sort()).toEqual([1, 2, 3, 4]);
    lines.forEach((l) => (l.port1.close(), l.port2.close()));
  });

  it('one registry per database name in a context', () => {
    expect(readerPorts('a')).toBe(readerPorts('a'));
    expect(readerPorts('a')).not.toBe(readerPorts('b'));
  });
});

import { rate } from './format.js';

/** The download rate over the last minute (one sample every 500 ms), with the bandwidth cap drawn as a line. */
export class ThroughputChart {
  private readonly samples: number[] = [];
  private cap: number | null = null;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  add(bytesPerSecond: number, cap: number | null): void {
    this.samples.push(bytesPerSecond);
    if (this.samples.length > 120) this.samples.shift();
    this.cap = cap;
    this.draw();
  }

  private draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const [w, h] = [c.clientWidth, c.clientHeight];
    if (c.width !== w * dpr) [c.width, c.height] = [w * dpr, h * dpr];
    const g = c.getContext('2d');
    if (!g || !w) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const top = Math.max(this.cap ?? 0, ...this.samples, 100_000) * 1.15;
    const y = (v: number) => h - 14 - (v / top) * (h - 24);
    const x = (i: number) => (i / 119) * w;
    g.font = '11px system-ui, sans-serif';
    // Rate: a filled area.
    g.beginPath();
    g.moveTo(x(120 - this.samples.length), y(0));
    this.samples.forEach((v, i) => g.lineTo(x(120 - this.samples.length + i), y(v)));
    g.lineTo(x(119), y(0));
    g.fillStyle = 'rgba(29, 185, 84, .25)';
    g.fill();
    g.beginPath();
    this.samples.forEach((v, i) => (i ? g.lineTo : g.moveTo).call(g, x(120 - this.samples.length + i), y(v)));
    g.strokeStyle = '#1db954';
    g.lineWidth = 2;
    g.stroke();
    // The cap: the promise about the wire.
    if (this.cap) {
      g.setLineDash([6, 4]);
      g.strokeStyle = '#ff9f43';
      g.beginPath();
      g.moveTo(0, y(this.cap));
      g.lineTo(w, y(this.cap));
      g.stroke();
      g.setLineDash([]);
      g.fillStyle = '#ff9f43';
      g.fillText(`cap ${rate(this.cap)}`, 4, y(this.cap) - 4);
    }
    g.fillStyle = '#9aa0a6';
    g.fillText('60 s ago', 2, h - 2);
    g.fillText('now', w - 22, h - 2);
    const last = this.samples[this.samples.length - 1] ?? 0;
    const label = rate(last);
    g.fillStyle = '#e8eaed';
    g.fillText(label, w - g.measureText(label).width - 4, 12);
  }
}

import type { SongSpec } from './songs.js';

/**
 * Sample rate of the synthesised audio (what ffmpeg is told the raw PCM is, and the MP3's rate).
 * 22.05 kHz: the tones' highest harmonics stay under 6 kHz, and half the samples of 44.1 kHz make
 * the catalog — built before every `npm test` on a clean checkout — in 1.3 s a song instead of
 * 2.2 s (synthesis 0.44 s, LAME 0.84 s). The files stay 128 kbit/s, so their sizes are the same.
 */
export const SAMPLE_RATE = 22_050;

const SCALES = { major: [0, 2, 4, 5, 7, 9, 11], minor: [0, 2, 3, 5, 7, 8, 10] } as const;
const TABLE = 4096;

/** One period of each waveform, band-limited by construction (a few harmonics), read by phase. */
const WAVES = {
  sine: table((x) => Math.sin(x)),
  // Soft saw: 8 harmonics, for the chord pad.
  saw: table((x) => [1, 2, 3, 4, 5, 6, 7, 8].reduce((s, k) => s + Math.sin(k * x) / k, 0) * 0.55),
  // Triangle-ish: odd harmonics falling fast, for the lead.
  lead: table((x) => Math.sin(x) + Math.sin(3 * x) / 9 - Math.sin(5 * x) / 25 + 0.3 * Math.sin(2 * x)),
};

function table(f: (x: number) => number): Float32Array {
  const t = new Float32Array(TABLE);
  for (let i = 0; i < TABLE; i++) t[i] = f((2 * Math.PI * i) / TABLE);
  return t;
}

/** A small seeded PRNG (mulberry32): the same song always renders the same bytes. */
function random(seed: number): () => number {
  let a = seed * 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hz = (midi: number) => 440 * 2 ** ((midi - 69) / 12);

interface Voice {
  wave: Float32Array;
  attack: number;
  release: number;
  vibrato?: number;
}

/** Stereo mix buffer (interleaved L/R) that notes and drum hits are added into. */
class Mix {
  readonly data: Float32Array;
  constructor(readonly frames: number) {
    this.data = new Float32Array(frames * 2);
  }

  note(at: number, seconds: number, midi: number, gain: number, pan: number, v: Voice): void {
    const start = Math.floor(at * SAMPLE_RATE);
    const len = Math.floor((seconds + v.release) * SAMPLE_RATE);
    const hold = seconds * SAMPLE_RATE;
    const step = (hz(midi) * TABLE) / SAMPLE_RATE;
    const [l, r] = [gain * (1 - pan) * 0.5, gain * (1 + pan) * 0.5];
    const [attack, release] = [v.attack * SAMPLE_RATE, v.release * SAMPLE_RATE];
    const vibratoStep = (5.5 * TABLE) / SAMPLE_RATE;
    let phase = 0;
    for (let i = 0; i < len && start + i < this.frames; i++) {
      const env = i < attack ? i / attack : i < hold ? 1 : 1 - (i - hold) / release;
      const vib = v.vibrato ? 1 + v.vibrato * WAVES.sine[((i * vibratoStep) % TABLE) | 0]! : 1;
      phase += step * vib;
      if (phase >= TABLE) phase -= TABLE;
      const s = v.wave[phase | 0]! * env;
      this.data[(start + i) * 2]! += s * l;
      this.data[(start + i) * 2 + 1]! += s * r;
    }
  }

  /** Adds a pre-rendered sound (a drum hit) at `at` seconds. */
  sample(at: number, sound: Float32Array, gain: number, pan: number): void {
    const start = Math.floor(at * SAMPLE_RATE);
    const [l, r] = [gain * (1 - pan), gain * (1 + pan)];
    const n = Math.min(sound.length, this.frames - start);
    for (let i = 0; i < n; i++) {
      this.data[(start + i) * 2]! += sound[i]! * l;
      this.data[(start + i) * 2 + 1]! += sound[i]! * r;
    }
  }
}

/** The drum kit, rendered once per song: a pitch-swept kick, a noisy snare and a closed hat. */
function drumKit(noise: () => number) {
  const render = (seconds: number, f: (t: number, i: number) => number) => {
    const out = new Float32Array(Math.floor(seconds * SAMPLE_RATE));
    for (let i = 0; i < out.length; i++) out[i] = f(i / SAMPLE_RATE, i);
    return out;
  };
  let phase = 0;
  const kick = render(0.35, (t) => {
    phase += (2 * Math.PI * (45 + 90 * Math.exp(-t * 30))) / SAMPLE_RATE;
    return Math.sin(phase) * Math.exp(-t * 9);
  });
  const snare = render(0.25, (t) => ((noise() * 2 - 1) * 0.8 + Math.sin(2 * Math.PI * 185 * t) * 0.4) * Math.exp(-t * 18));
  let last = 0;
  const hat = render(0.06, (t) => {
    const n = noise() * 2 - 1;
    const s = n - last; // first difference: a crude high-pass, the hiss of a closed hat
    last = n;
    return s * Math.exp(-t * 70);
  });
  return { kick, snare, hat };
}

const PAD: Voice = { wave: WAVES.saw, attack: 0.25, release: 0.6 };
const BASS: Voice = { wave: WAVES.sine, attack: 0.01, release: 0.08 };
const LEAD: Voice = { wave: WAVES.lead, attack: 0.02, release: 0.15, vibrato: 0.004 };

/**
 * Renders a song: a chord pad over the progression, a bass line, a drum kit and a lead melody
 * built from a two-bar motif per section, in intro / verse / chorus / outro form.
 * Returns interleaved stereo float PCM at {@link SAMPLE_RATE}.
 */
export function composeSong(song: SongSpec): Float32Array {
  const rnd = random(song.seed);
  const noise = random(song.seed + 1000);
  const scale = SCALES[song.mode];
  const beat = 60 / song.bpm;
  const bar = beat * 4;
  const bars = Math.floor(song.seconds / bar);
  const mix = new Mix(Math.ceil(song.seconds * SAMPLE_RATE));
  const kit = drumKit(noise);
  const degree = (d: number, octave = 0) => song.root + scale[((d % 7) + 7) % 7]! + 12 * (Math.floor(d / 7) + octave);

  // A motif per section: eight eighth-note slots, each a scale step (or a rest) over the chord.
  const motif = () => Array.from({ length: 16 }, (_, i) => (rnd() < (i % 2 ? 0.45 : 0.8) ? Math.floor(rnd() * 5) - 1 : null));
  const motifs = { verse: motif(), chorus: motif() };
  const swing = rnd() < 0.5;

  for (let b = 0; b < bars; b++) {
    const t0 = b * bar;
    const chord = song.progression[b % song.progression.length]!;
    const section = b < 4 ? 'intro' : b >= bars - 4 ? 'outro' : Math.floor((b - 4) / 8) % 2 ? 'chorus' : 'verse';
    const fade = section === 'outro' ? 1 - (b - (bars - 4)) / 4 : section === 'intro' ? 0.6 + b * 0.1 : 1;

    // Pad: the triad, spread across the stereo field.
    for (const [k, pan] of [[0, -0.4], [2, 0.4], [4, 0]] as const) mix.note(t0, bar * 0.98, degree(chord + k), 0.09 * fade, pan, PAD);
    if (section === 'intro') {
      for (let e = 0; e < 8; e++) mix.sample(t0 + e * beat * 0.5, kit.hat, 0.08 * fade, 0.3);
      continue;
    }

    // Bass: root on the beats, a fifth on the "and" of three.
    const bassRoot = degree(chord, -2);
    for (let q = 0; q < 4; q++) mix.note(t0 + q * beat, beat * 0.8, q === 2 && b % 2 ? bassRoot + 7 : bassRoot, 0.28 * fade, 0, BASS);

    // Drums: kick on 1 and 3 (plus a pickup), snare on 2 and 4, eighth-note hats.
    for (let q = 0; q < 4; q++) {
      mix.sample(t0 + q * beat, q % 2 ? kit.snare : kit.kick, q % 2 ? 0.22 * fade : 0.55 * fade, 0);
    }
    if (song.seed % 3 === 0 || section === 'chorus') mix.sample(t0 + 3.5 * beat, kit.kick, 0.4 * fade, 0);
    for (let e = 0; e < 8; e++) mix.sample(t0 + e * beat * 0.5 + (swing && e % 2 ? beat * 0.08 : 0), kit.hat, (e % 2 ? 0.05 : 0.09) * fade, 0.3);

    // Lead: the section's motif over the current chord, an octave up in the chorus.
    const m = section === 'chorus' ? motifs.chorus : motifs.verse;
    const half = (b % 2) * 8;
    for (let e = 0; e < 8; e++) {
      const step = m[half + e];
      if (step === null || step === undefined) continue;
      const len = m[half + e + 1] === null ? beat : beat * 0.5;
      mix.note(t0 + e * beat * 0.5, len * 0.9, degree(chord + step * 2, section === 'chorus' ? 2 : 1), (section === 'chorus' ? 0.17 : 0.12) * fade, 0.15, LEAD);
    }
  }

  // Gentle limiter so the loudest moments never clip.
  const d = mix.data;
  for (let i = 0; i < d.length; i++) d[i] = Math.tanh(d[i]! * 1.2) * 0.9;
  return d;
}

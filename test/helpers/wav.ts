/**
 * A playable WAV file (PCM, 16-bit, mono): a short melody, so the demo and the browser tests
 * have real audio that Chromium decodes without codecs. `seed` varies the notes.
 */
export function makeWav(seconds: number, seed = 0, sampleRate = 22_050): Buffer {
  const samples = Math.round(seconds * sampleRate);
  const data = Buffer.alloc(samples * 2);
  // A slight detune per seed keeps every generated file's bytes distinct.
  const detune = 1 + seed * 0.0137;
  const scale = [261.63, 293.66, 329.63, 392.0, 440.0, 523.25].map((f) => f * detune);
  for (let i = 0; i < samples; i++) {
    const t = i / sampleRate;
    const note = scale[(Math.floor(t * 2) + seed) % scale.length]!;
    const envelope = Math.min(1, (t * 2) % 1 * 8) * 0.3;
    data.writeInt16LE(Math.round(Math.sin(2 * Math.PI * note * t) * envelope * 32767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

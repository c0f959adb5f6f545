const PALETTES: Record<string, [string, string]> = {
  'road-trip': ['#ff7a18', '#af002d'],
  focus: ['#2bc0e4', '#1d3b72'],
  'late-night': ['#8e2de2', '#1a0938'],
};

/** A playlist's cover (SVG): its name over a gradient, for the page and the Media Session artwork. */
export function coverArt(playlistId: string, name: string): string {
  const [a, b] = PALETTES[playlistId] ?? ['#888', '#222'];
  const words = name.replace(/[<&>"]/g, '').split(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" height="512">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${a}"/><stop offset="1" stop-color="${b}"/></linearGradient></defs>
<rect width="512" height="512" fill="url(#g)"/>
<circle cx="390" cy="130" r="70" fill="none" stroke="#fff" stroke-opacity=".35" stroke-width="14"/>
${words.map((w, i) => `<text x="40" y="${400 + i * 64 - (words.length - 1) * 64}" font-family="system-ui, sans-serif" font-size="64" font-weight="800" fill="#fff">${w}</text>`).join('\n')}
</svg>`;
}

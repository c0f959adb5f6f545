/** docs/how-it-works.md "Playback URL": `<scope>__reprise__/track/<encodeURIComponent(id)>`. */
export const TRACK_PATH = '__reprise__/track/';

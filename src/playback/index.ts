export { createTrackRoute, registerTrackRoute, TRACK_PATH, type TrackRouteOptions, type PlaybackReport } from './trackRoute.js';
export type { TrackSource, ServableTrack } from './storeTrackSource.js';

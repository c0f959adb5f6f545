export { createTrackRoute, registerTrackRoute, TRACK_PATH, type TrackRouteOptions, type PlaybackReport } from './trackRoute.js';
export type { TrackSource, ServableTrack, Unavailable } from './storeTrackSource.js';

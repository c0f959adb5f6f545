/**
 * The messages of the page ↔ worker lifecycle, shared by the page client, the cache worker and
 * the service worker (each bundle inlines the strings).
 */

/** Posted by the cache worker once its script ran: the page then knows the URL served reprise's worker. */
export const WORKER_HELLO = 'reprise:worker-hello';

/** Asks an active service worker to claim the page (a hard reload leaves a page uncontrolled). */
export const CLAIM_MESSAGE_TYPE = 'reprise:claim';

/** A page hands the service worker one end of its line to the cache worker (`ports[0]`; `ReaderPorts`). */
export const READER_PORT_MESSAGE = 'reprise:reader-port';

/** The service worker asks the pages for a line (it has none: it just started). */
export const READER_PORT_REQUEST = 'reprise:reader-port?';

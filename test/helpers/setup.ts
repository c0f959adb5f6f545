// fake-indexeddb's classes as globals: idb checks `instanceof IDBRequest` and friends.
import 'fake-indexeddb/auto';

/**
 * Installed in every page before its own scripts where the driver can (Firefox), else right
 * after load (WebKit), and by the test page itself first thing: these drivers report no page
 * errors of their own (WebKitGTK's WebDriver has no log; puppeteer over BiDi misses uncaught
 * errors), so the page keeps them in `window.__pageErrors`.
 */
export const ERROR_HOOK = `if (!window.__pageErrors) {
  window.__pageErrors = [];
  addEventListener('error', (e) => window.__pageErrors.push('pageerror: ' + (e.message || e.error)));
  addEventListener('unhandledrejection', (e) => window.__pageErrors.push('pageerror: ' + ((e.reason && e.reason.message) || e.reason)));
  const error = console.error.bind(console);
  console.error = (...a) => { window.__pageErrors.push('console.error: ' + a.map(String).join(' ')); error(...a); };
}`;

/** Takes the errors the page kept since the last call. */
export const TAKE_ERRORS = 'return (window.__pageErrors || []).splice(0);';

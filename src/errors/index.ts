export { RepriseError, isRepriseError, abortError, type ErrorDetails } from './RepriseError.js';
export { ERROR_CODES, isErrorCode, type ErrorCode } from './codes.js';

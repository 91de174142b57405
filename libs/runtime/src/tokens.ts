/** Injection tokens for values that are not classes. */
export const CONFIG = Symbol('reqrun.config');
export const LOGGER = Symbol('reqrun.logger');
export const APP_NAME = Symbol('reqrun.app');

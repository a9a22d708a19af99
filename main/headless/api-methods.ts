// The HTTP adapter's table of callable methods: the shared validated table (api-validation.ts),
// except that a browser tab has no native folder picker.
import { apiCalls, BadRequest, type ApiCall } from '../core/api-validation.js';

export { BadRequest };

export const apiMethods: Readonly<Record<string, ApiCall>> = Object.freeze({
  ...apiCalls,
  // No native dialog in a browser: the page falls back to its directory browser.
  pickFolder: async () => null,
});

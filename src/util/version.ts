/** The library's version (written to model cards; re-exported from the package root). */
export const VERSION = '0.1.0';

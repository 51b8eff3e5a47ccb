/** tfjs-core gradient registrations (generated; see scripts/build-gradients.mjs). Importing it registers them. */
export {};

// `node --import ./test/helpers/hide_packages.mjs`: makes the packages listed in HIDE_PACKAGES (comma-separated)
// unresolvable, exactly as Node reports a package that is not installed (ERR_MODULE_NOT_FOUND, "Cannot find
// package '<name>'"). Used to test the errors of optional peers without uninstalling anything.
import { register } from 'node:module';

const hidden = (process.env.HIDE_PACKAGES ?? '').split(',').filter(Boolean);
const hooks = `
const hidden = ${JSON.stringify(hidden)};
export async function resolve(specifier, context, next) {
  if (hidden.some((p) => specifier === p || specifier.startsWith(p + '/'))) {
    const e = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL);
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

// module.register() hooks installed by rsnet/register (lib/register.js): `import` of
// 'net' or 'node:net' resolves to rsnet's ESM facade. They run on Node's hooks thread.
// rsnet's own files keep Node's net.

const facade = new URL('./register-net.mjs', import.meta.url).href;
const lib = new URL('./', import.meta.url).href;
const index = new URL('../index.js', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if ((specifier === 'net' || specifier === 'node:net') &&
      !(context.parentURL && (context.parentURL.startsWith(lib) || context.parentURL === index))) {
    return { url: facade, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

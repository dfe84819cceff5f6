// module.register() hooks installed by rsnet/register (lib/register.js). They run on
// Node's hooks thread. rsnet's own files keep Node's modules.
// - `import` of 'net' or 'node:net' resolves to rsnet's ESM facade.
// - `import` of Node's http, https, tls or http2 resolves to a facade that loads the
//   module through require(), so that the main thread patches them on their first
//   load (see hookHttp in lib/register.js), and gives the same default and named
//   exports as Node's own.

const facade = new URL('./register-net.mjs', import.meta.url).href;
const lib = new URL('./', import.meta.url).href;
const index = new URL('../index.js', import.meta.url).href;
const register = new URL('./register.js', import.meta.url);
const HTTP_MODULES = new Set(['http', 'https', 'tls', 'http2']);

function fromRsnet(context) {
  return Boolean(context.parentURL) && (context.parentURL.startsWith(lib) || context.parentURL === index);
}

// The facade's source: Node's module through require, and its export names as Node's
// own ESM wrapper of it has them.
async function httpFacade(name) {
  const names = Object.keys(await import(`node:${name}`))
    .filter((key) => key !== 'default' && /^[A-Za-z_$][\w$]*$/.test(key));
  const source = [
    "import { createRequire } from 'node:module';",
    `const mod = createRequire(${JSON.stringify(register.pathname)})('node:${name}');`,
    'export default mod;',
    names.length > 0 ? `export const { ${names.join(', ')} } = mod;` : '',
  ].join('\n');
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

export async function resolve(specifier, context, nextResolve) {
  if ((specifier === 'net' || specifier === 'node:net') && !fromRsnet(context)) {
    return { url: facade, format: 'module', shortCircuit: true };
  }
  const name = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  if (HTTP_MODULES.has(name) && !fromRsnet(context)) {
    return { url: await httpFacade(name), format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

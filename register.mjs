// node --import rsnet/register app.mjs: as `-r rsnet/register`. See lib/register.js.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./lib/register.js').install('import');

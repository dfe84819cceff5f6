// Deliberate type errors: types.test.js expects tsc to report exactly these, at these
// lines, so the type check is known to mean something.
import net = require('rsnet');

const socket = net.connect({ port: 80 });
socket.write(42);
const port: number = socket.remoteAddress;
net.listen(8080);
net.createServer({ allowHalfOpen: 'yes' });
export { port };

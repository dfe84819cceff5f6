'use strict';
// `value instanceof Target` holding for another class's instances too: under
// rsnet/register, Node's sockets count as rsnet's net.Socket (the application's), and
// rsnet's native TLS sockets as Node's tls.TLSSocket. A subclass of Target keeps the
// ordinary check (only `instanceof Target` itself is widened).

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];
// Target -> the classes whose instances also count as its own.
const widened = new WeakMap();

function countAsInstanceOf(Target, Other) {
  let others = widened.get(Target);
  if (others === undefined) {
    others = [];
    widened.set(Target, others);
    Object.defineProperty(Target, Symbol.hasInstance, {
      __proto__: null,
      configurable: true,
      value: function hasInstance(value) {
        if (Reflect.apply(ordinaryHasInstance, this, [value])) return true;
        return this === Target && others.some((other) => Reflect.apply(ordinaryHasInstance, other, [value]));
      },
    });
  }
  if (!others.includes(Other)) others.push(Other);
}

module.exports = { countAsInstanceOf };

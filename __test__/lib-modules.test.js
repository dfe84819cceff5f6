'use strict';
// lib/ has no require cycle: every module loads alone, in a fresh process, and the
// graph of lib/'s requires of each other has no loop (a cycle hands some module a
// half-built exports object, depending on which one loads first).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const LIB = path.join(__dirname, '..', 'lib');
const modules = fs.readdirSync(LIB).filter((file) => file.endsWith('.js')).map((file) => file.slice(0, -3));

function requiresOf(name) {
  const source = fs.readFileSync(path.join(LIB, `${name}.js`), 'utf8');
  return [...source.matchAll(/require\('\.\/([\w-]+)'\)/g)].map((match) => match[1]);
}

// A cycle as a path 'a -> b -> a', or null.
function findCycle(graph) {
  const state = new Map();
  const stack = [];
  function visit(name) {
    state.set(name, 'open');
    stack.push(name);
    for (const next of graph.get(name) || []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next].join(' -> ');
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(name, 'done');
    return null;
  }
  for (const name of graph.keys()) {
    if (!state.has(name)) {
      const found = visit(name);
      if (found) return found;
    }
  }
  return null;
}

test('lib/ modules require each other without a cycle', () => {
  const graph = new Map(modules.map((name) => [name, requiresOf(name)]));
  assert.equal(findCycle(graph), null);
});

test('every lib/ module loads alone in a fresh process', () => {
  for (const name of modules) {
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(LIB, name))})`],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  }
});

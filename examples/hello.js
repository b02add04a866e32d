// The body of an async function: `params`, `ctx` and each param by name are in scope.
// Try: npx sidex run examples/hello.js --params '{"count": 5}'
const n = typeof count === 'number' ? count : 3;
ctx.onStop(() => ({ stoppedAt: done }));
let done = 0;
for (; done < n; done++) {
  console.log(`working on item ${done + 1} of ${n}`);
  ctx.progress({ done, total: n });
  await new Promise((resolve) => setTimeout(resolve, 300));
}
return { items: done };

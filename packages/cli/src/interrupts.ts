/**
 * Ctrl-C (or SIGTERM) stops the execution gracefully; a second one forces.
 * `stop` is called with force on the second signal; returns the function that stops listening.
 */
export function stopOnInterrupt(stop: (force: boolean) => boolean): () => void {
  let interrupts = 0;
  const onSignal = () => {
    if (!stop(interrupts === 1)) return;
    interrupts++;
    process.stderr.write(interrupts === 1 ? '\nsidex: stopping (Ctrl-C again to force)\n' : '\nsidex: forcing\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

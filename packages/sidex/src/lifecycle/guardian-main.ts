import { createTreeTracker, type TrackerOptions } from '../engine/tree/tree-tracker.js';

const options = JSON.parse(process.argv[2] ?? '{}') as TrackerOptions;
const tracker = createTreeTracker(options);

process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.stdin.resume();
process.stdin.on('close', sweep);
process.stdin.on('end', sweep);
process.stdin.on('error', sweep);

let swept = false;
function sweep(): void {
  if (swept) return;
  swept = true;
  tracker.killRun();
  // A fork may have raced the first pass; and a killed process leaves its
  // cgroups only once it has exited, so passes go on until they are gone (5 s at most).
  let passes = 0;
  const again = () => {
    if (tracker.killRun() || ++passes >= 50) process.exit(0);
    setTimeout(again, 100);
  };
  setTimeout(again, 100);
}

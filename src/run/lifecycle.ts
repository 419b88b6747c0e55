/**
 * What the CLI entry must be able to do to running processes — stop them all, hurry their stops,
 * kill them at once — without loading the process machinery for commands that never start one
 * (`validate`, `plan`, `history`): process.ts registers itself here when it is loaded, and until
 * then there is nothing to stop.
 */
export interface ProcessControl {
  stopAll(): Promise<void>;
  hurry(): void;
  killAllNow(): void;
}

let control: ProcessControl | undefined;

export function registerProcessControl(c: ProcessControl): void {
  control = c;
}

export const lifecycle = {
  stopAll: (): Promise<void> => control?.stopAll() ?? Promise.resolve(),
  hurry: (): void => control?.hurry(),
  killAllNow: (): void => control?.killAllNow(),
};

/** Is this a CI run? `CI` set to anything but empty, `0` or `false` (the convention CI systems follow). */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** A configuration that failed validation; `problems` names every bad field. */
export class ConfigError extends Error {
  constructor(
    readonly envName: string,
    readonly problems: readonly string[],
  ) {
    super(
      `Invalid Stowage configuration for env '${envName}':\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

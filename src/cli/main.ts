import { readFileSync } from 'node:fs';
import { isRepriseError } from '../errors/RepriseError.js';
import { cliErrorText } from './cliError.js';
import { KEYS_GENERATE_USAGE, keysGenerate } from './commands/keysGenerate.js';
import { MANIFEST_BUILD_USAGE, manifestBuild } from './commands/manifestBuild.js';
import { MANIFEST_VERIFY_USAGE, manifestVerify } from './commands/manifestVerify.js';
import { SW_COPY_USAGE, swCopy } from './commands/swCopy.js';
import { USAGE_V2, isFormat2, manifestBuildV2 } from './manifestBuildV2.js';

/** One subcommand: its arguments after the two command words → exit code. */
export interface Command {
  usage: string;
  run(args: string[], out: (line: string) => void): Promise<number>;
}

/** The subcommands, by their two words. A new one is one more entry (and one file in commands/). */
export const COMMANDS: Record<string, Command> = {
  'keys generate': { usage: KEYS_GENERATE_USAGE, run: keysGenerate },
  'manifest build': {
    usage: `${MANIFEST_BUILD_USAGE}\n\n${USAGE_V2}`,
    run: (args, out) => (isFormat2(args) ? manifestBuildV2(args, out) : manifestBuild(args, out)),
  },
  'manifest verify': { usage: MANIFEST_VERIFY_USAGE, run: manifestVerify },
  'sw copy': { usage: SW_COPY_USAGE, run: swCopy },
};

export const USAGE = `reprise — build and sign offline manifests

${Object.values(COMMANDS).map((c) => c.usage).join('\n\n')}

  reprise --version | --help
`;

/** The package's version (package.json sits two folders above both src/cli/ and dist/node/). */
export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === '--version' || group === '-v' || group === 'version') {
    out(version());
    return 0;
  }
  if (!group || group === '--help' || group === '-h' || group === 'help') {
    out(USAGE);
    return group ? 0 : 2;
  }
  const entry = COMMANDS[`${group} ${command ?? ''}`];
  if (!entry) {
    out(`reprise: unknown command "${[group, command].filter(Boolean).join(' ')}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(entry.usage);
    return 0;
  }
  return entry.run(rest, out);
}

/** The bin's entry: exit 0 on success, 1 with `reprise: <code>: <what>` on an error, 2 on usage. */
export async function run(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    if (isRepriseError(error)) {
      console.error(cliErrorText(error));
      process.exitCode = 1;
    } else if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`reprise: ${(error as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      throw error;
    }
  }
}

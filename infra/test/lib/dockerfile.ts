/**
 * Dockerfiles read by Microsoft's parser and linter (`dockerfile-ast`,
 * `dockerfile-utils`: the ones behind the VS Code Docker extension), shaped for the
 * static checks: stages with their base image expanded, exec-form argument lists.
 */
import {
  type Arg,
  type Dockerfile,
  DockerfileParser,
  type From,
  type Healthcheck,
  type ImageTemplate,
  type Instruction,
  type JSONInstruction,
} from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { TextDocument } from 'vscode-languageserver-textdocument';

export interface Stage {
  /** The base image with the global ARG defaults substituted, as `docker build` sees it. */
  base: string;
  name: string | undefined;
  from: From;
  /** The stage's instructions, FROM first. */
  image: ImageTemplate;
}

export interface ParsedDockerfile {
  dockerfile: Dockerfile;
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(text);
  const globalArgs = argDefaults(dockerfile.getInitialARGs());
  const stages = dockerfile.getFROMs().map((from): Stage => {
    const image = dockerfile.getContainingImage(from.getRange().start);
    if (!image)
      throw new Error(`no stage holds the FROM on line ${from.getRange().start.line + 1}`);
    return {
      base: from.getExpandedArguments()[0]?.getValue() ?? '',
      name: from.getBuildStage() ?? undefined,
      from,
      image,
    };
  });
  return { dockerfile, globalArgs, stages };
}

/** What the linter finds wrong or dubious, as `line N: message`. */
export function lintDockerfile(text: string): string[] {
  return validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
}

export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.image.getInstructions().filter((i) => i.getKeyword() === keyword);
}

/** A shell-form instruction's command (RUN's without its --mount flags), continuations joined. */
export function commandOf(instruction: Instruction): string {
  return instruction
    .getArguments()
    .map((a) => a.getValue())
    .join(' ');
}

/**
 * The argument list of an exec-form instruction (CMD ["node", ...]) in `text`, or
 * undefined for shell form. Each JSON string is read from the source: the parser's
 * getJSONValue() drops the whitespace inside a string ("const p" reads "constp").
 */
export function execForm(instruction: JSONInstruction, text: string): string[] | undefined {
  if (!instruction.getOpeningBracket() || !instruction.getClosingBracket()) return undefined;
  const document = TextDocument.create('Dockerfile', 'dockerfile', 1, text);
  return instruction
    .getJSONStrings()
    .map((literal) => JSON.parse(document.getText(literal.getRange())) as string);
}

/**
 * The exec-form command of a HEALTHCHECK in `text` (what follows `CMD`), or undefined
 * for shell form or NONE. The parser reads it as the CMD instruction it is written as.
 */
export function healthcheckCommand(healthcheck: Healthcheck, text: string): string[] | undefined {
  const subcommand = healthcheck.getSubcommand();
  if (subcommand?.getValue().toUpperCase() !== 'CMD') return undefined;
  const command = TextDocument.create('Dockerfile', 'dockerfile', 1, text).getText({
    start: subcommand.getRange().start,
    end: healthcheck.getRange().end,
  });
  const [cmd] = DockerfileParser.parse(command).getCMDs();
  return cmd ? execForm(cmd, command) : undefined;
}

/** ARG names with their defaults ('' when none). */
function argDefaults(args: Arg[]): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const arg of args) {
    const property = arg.getProperty();
    if (property) defaults[property.getName()] = property.getValue() ?? '';
  }
  return defaults;
}

/** The ARGs a stage declares, with their defaults ('' when none). */
export function argsOf(stage: Stage): Record<string, string> {
  return argDefaults(stage.image.getARGs());
}

/** ENV key/values of a stage (both `ENV K=V K2=V2` and `ENV K V`), unexpanded. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of stage.image.getENVs()) {
    for (const property of instruction.getProperties()) {
      env[property.getName()] = property.getUnescapedValue() ?? '';
    }
  }
  return env;
}

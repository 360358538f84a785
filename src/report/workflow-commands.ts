/**
 * GitHub Actions workflow commands (`::name key=value::data`).
 * https://docs.github.com/actions/reference/workflow-commands-for-github-actions
 */

/** Escapes a command's data (the part after the last `::`), so a `%`, `\r` or `\n` can't end or corrupt it. */
export const escapeData = (s: string): string => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');

/** Escapes a property value (`title=…`), which additionally can't hold a `:` or `,`. */
export const escapeProperty = (s: string): string => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');

/** `::name key=value,key=value::data`, every part escaped. */
export function workflowCommand(name: string, properties: Readonly<Record<string, string>>, data: string): string {
  const props = Object.entries(properties)
    .map(([key, value]) => `${key}=${escapeProperty(value)}`)
    .join(',');
  return `::${name}${props === '' ? '' : ` ${props}`}::${escapeData(data)}`;
}

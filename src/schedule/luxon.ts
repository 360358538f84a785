/**
 * Luxon, loaded as the one instance cron-parser uses. luxon ships an ES module and a CommonJS build; cron-parser
 * requires the CommonJS one, so an `import` of 'luxon' here would load and compile a second copy (~10 ms of
 * every command's start) whose `Settings` would not reach cron-parser's.
 */
import { createRequire } from 'node:module';
import type * as Luxon from 'luxon';

const luxon = createRequire(import.meta.url)('luxon') as typeof Luxon;

// Macros must not depend on the machine's locale (a laptop and CI name a date alike); asking the system for its
// locale also loads ICU's locale data, another ~12 ms of every start.
luxon.Settings.defaultLocale = 'en-US';

export const { DateTime, IANAZone } = luxon;
export type DateTime = Luxon.DateTime;

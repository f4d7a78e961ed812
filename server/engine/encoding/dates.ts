/**
 * Calendar arithmetic, time zones and the subset of Java's SimpleDateFormat that DeployR
 * clients use in the `format` of date inputs ("yyyy-MM-dd", "yyyy-MM-dd HH:mm:ss Z",
 * "yyyy-MM-dd HH:mm:ss z", or anything a Java / .NET user passed).
 */

const MS_PER_DAY = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Civil calendar (proleptic Gregorian), after Howard Hinnant's algorithms.

/** Days since 1970-01-01 of a calendar date (month 1-12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The calendar date of a day count since 1970-01-01. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, '0');
  return n < 0 ? `-${s}` : s;
}

/** "yyyy-MM-dd" of an R Date (days since the epoch; fractions are floored like R does). */
export function formatRDate(days: number): string {
  const { year, month, day } = civilFromDays(Math.floor(days));
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** "+HHMM" / "-HHMM" (Java's `Z`) of an offset in minutes east of UTC. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${pad(Math.floor(a / 60), 2)}${pad(a % 60, 2)}`;
}

/** "yyyy-MM-dd HH:mm:ss Z" of wall-clock fields and their offset. */
export function formatWallTime(f: WallTime, offsetMinutes: number): string {
  return (
    `${pad(f.year, 4)}-${pad(f.month, 2)}-${pad(f.day, 2)} ` +
    `${pad(f.hour, 2)}:${pad(f.minute, 2)}:${pad(f.second, 2)} ${formatOffset(offsetMinutes)}`
  );
}

/**
 * "yyyy-MM-dd HH:mm:ss Z" of an R POSIXct value (seconds since the epoch), in time zone `tz`
 * (an IANA name from the object's `tzone`); UTC when `tz` is empty or unknown. Fractional
 * seconds are dropped, as R's format() does.
 */
export function formatPosixct(seconds: number, tz: string | undefined): string {
  const ms = Math.floor(seconds) * 1000;
  const offset = tz ? (offsetMinutesAt(ms, tz) ?? 0) : 0;
  return formatWallTime(wallTimeOf(ms + offset * 60_000), offset);
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** The UTC wall-clock fields of epoch milliseconds. */
export function wallTimeOf(ms: number): WallTime {
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms - days * MS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  return { year, month, day, hour, minute, second, millisecond: rest - second * 1000 };
}

/** Epoch milliseconds of wall-clock fields read as UTC. */
export function utcMsOf(f: WallTime): number {
  return (
    daysFromCivil(f.year, f.month, f.day) * MS_PER_DAY +
    ((f.hour * 60 + f.minute) * 60 + f.second) * 1000 +
    f.millisecond
  );
}

// ---------------------------------------------------------------------------------------------
// Time zones

const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatterFor(tz: string): Intl.DateTimeFormat | null {
  let f = formatters.get(tz);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        era: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      f = null;
    }
    formatters.set(tz, f);
  }
  return f;
}

/** True when `tz` is a time zone name this runtime knows (IANA). */
export function isKnownTimeZone(tz: string): boolean {
  return tz !== '' && formatterFor(tz) !== null;
}

/** The offset (minutes east of UTC) of time zone `tz` at an instant; undefined if unknown. */
export function offsetMinutesAt(ms: number, tz: string): number | undefined {
  const f = formatterFor(tz);
  if (!f || !Number.isFinite(ms)) return undefined;
  const at = Math.floor(ms / 1000) * 1000;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = f.formatToParts(new Date(at));
  } catch {
    return undefined;
  }
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  let year = get('year');
  const era = parts.find((p) => p.type === 'era')?.value;
  if (era === 'BC' || era === 'B') year = 1 - year;
  const wall = utcMsOf({
    year,
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
    millisecond: 0,
  });
  const off = Math.round((wall - at) / 60_000);
  return Number.isFinite(off) ? off : undefined;
}

/** Epoch milliseconds of wall-clock fields in IANA time zone `tz`. */
export function zonedWallToMs(f: WallTime, tz: string): number | undefined {
  const guess = utcMsOf(f);
  const off1 = offsetMinutesAt(guess, tz);
  if (off1 === undefined) return undefined;
  let t = guess - off1 * 60_000;
  const off2 = offsetMinutesAt(t, tz);
  if (off2 !== undefined && off2 !== off1) t = guess - off2 * 60_000;
  return t;
}

/** Epoch milliseconds of wall-clock fields in this process's local time zone. */
export function localWallToMs(f: WallTime): number {
  const d = new Date(2000, 0, 1, 0, 0, 0, 0);
  d.setFullYear(f.year, f.month - 1, f.day);
  d.setHours(f.hour, f.minute, f.second, f.millisecond);
  return d.getTime();
}

/** Fixed offsets (minutes) of the zone abbreviations Java's `z` writes and reads. */
const ZONE_ABBREVIATIONS: Record<string, number> = {
  UTC: 0, GMT: 0, UT: 0, Z: 0, WET: 0,
  BST: 60, CET: 60, WEST: 60, MET: 60,
  CEST: 120, EET: 120, MEST: 120, SAST: 120,
  EEST: 180, MSK: 180,
  IST: 330,
  SGT: 480, HKT: 480, AWST: 480, PHT: 480,
  JST: 540, KST: 540,
  ACST: 570, ACDT: 630,
  AEST: 600, AEDT: 660,
  NZST: 720, NZDT: 780,
  AST: -240, ADT: -180, NST: -210, NDT: -150,
  EST: -300, EDT: -240,
  CST: -360, CDT: -300,
  MST: -420, MDT: -360,
  PST: -480, PDT: -420,
  AKST: -540, AKDT: -480,
  HST: -600,
};

/** A parsed zone: a fixed offset, or an IANA zone to resolve at the wall time. */
export type ParsedZone = { offsetMinutes: number } | { timeZone: string };

/**
 * Reads a time zone at the start of `s`: "Z", "+08", "-0800", "-08:00", "GMT", "GMT-8",
 * "UTC+05:30", abbreviations ("PST", "CET"), IANA names ("America/New_York").
 */
export function readZone(s: string): { zone: ParsedZone; length: number } | undefined {
  const numeric = /^([+-])(\d{1,2})(?::?(\d{2}))?/.exec(s);
  if (numeric) {
    const h = Number(numeric[2]);
    const m = numeric[3] === undefined ? 0 : Number(numeric[3]);
    if (h > 23 || m > 59) return undefined;
    const off = (h * 60 + m) * (numeric[1] === '-' ? -1 : 1);
    return { zone: { offsetMinutes: off }, length: numeric[0].length };
  }
  const gmt = /^(?:GMT|UTC|UT)(?=[+-]\d)/.exec(s);
  if (gmt) {
    const rest = readZone(s.slice(gmt[0].length));
    if (rest && 'offsetMinutes' in rest.zone) return { zone: rest.zone, length: gmt[0].length + rest.length };
  }
  const word = /^[A-Za-z][A-Za-z0-9_+\-/]*/.exec(s);
  if (word) {
    const w = word[0];
    const abbr = ZONE_ABBREVIATIONS[w.toUpperCase()];
    if (abbr !== undefined && w.length <= 5) return { zone: { offsetMinutes: abbr }, length: w.length };
    if (w.includes('/') && isKnownTimeZone(w)) return { zone: { timeZone: w }, length: w.length };
    if (isKnownTimeZone(w)) return { zone: { timeZone: w }, length: w.length };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Java date patterns

export interface ParsedDateTime extends WallTime {
  /** True when the pattern had any time-of-day field. */
  hasTime: boolean;
  zone?: ParsedZone;
}

type PatternToken = { letter: string; count: number } | { literal: string };

const patternCache = new Map<string, PatternToken[]>();
const SUPPORTED_LETTERS = 'GyYMLdHkKhmsSaEuzZX';

export class DatePatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatePatternError';
  }
}

function tokenize(pattern: string): PatternToken[] {
  const cached = patternCache.get(pattern);
  if (cached) return cached;
  const tokens: PatternToken[] = [];
  let i = 0;
  const pushLiteral = (s: string): void => {
    const last = tokens[tokens.length - 1];
    if (last && 'literal' in last) last.literal += s;
    else tokens.push({ literal: s });
  };
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        pushLiteral("'");
        i += 2;
        continue;
      }
      let j = i + 1;
      let lit = '';
      while (j < pattern.length) {
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") {
            lit += "'";
            j += 2;
            continue;
          }
          break;
        }
        lit += pattern[j];
        j += 1;
      }
      if (j >= pattern.length) throw new DatePatternError(`unterminated quote in date format "${pattern}"`);
      pushLiteral(lit);
      i = j + 1;
    } else if (/[A-Za-z]/.test(c)) {
      if (!SUPPORTED_LETTERS.includes(c)) {
        throw new DatePatternError(`unsupported letter '${c}' in date format "${pattern}"`);
      }
      let j = i;
      while (pattern[j] === c) j += 1;
      tokens.push({ letter: c, count: j - i });
      i = j;
    } else {
      pushLiteral(c);
      i += 1;
    }
  }
  patternCache.set(pattern, tokens);
  return tokens;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const NUMERIC_LETTERS = 'yYMLdHkKhmsSu';

function isNumericToken(t: PatternToken | undefined): boolean {
  return !!t && 'letter' in t && NUMERIC_LETTERS.includes(t.letter) && !((t.letter === 'M' || t.letter === 'L') && t.count >= 3);
}

/** True when a pattern has time-of-day fields (so it describes a POSIXct, not a Date). */
export function patternHasTime(pattern: string): boolean {
  return tokenize(pattern).some((t) => 'letter' in t && 'HkKhmsS'.includes(t.letter));
}

/**
 * Parses `value` with a Java SimpleDateFormat pattern, the way SimpleDateFormat.parse(String)
 * does: numeric fields take any number of digits ("2016-01-5" matches "yyyy-MM-dd") unless the
 * next field abuts, runs of white space match any white space, and text after the pattern is
 * ignored. Unlike Java, out-of-range fields are rejected instead of rolled over. Returns
 * undefined when the value does not match.
 */
export function parseWithPattern(value: string, pattern: string): ParsedDateTime | undefined {
  const tokens = tokenize(pattern);
  let pos = 0;
  let year: number | undefined;
  let month = 1;
  let day = 1;
  let hour = 0;
  let hour12: number | undefined;
  let pm: boolean | undefined;
  let minute = 0;
  let second = 0;
  let millisecond = 0;
  let hasTime = false;
  let bc = false;
  let zone: ParsedZone | undefined;

  for (let ti = 0; ti < tokens.length; ti += 1) {
    const t = tokens[ti];
    if ('literal' in t) {
      for (const ch of t.literal) {
        if (/\s/.test(ch)) {
          if (!/\s/.test(value[pos] ?? '')) return undefined;
          while (/\s/.test(value[pos] ?? '')) pos += 1;
        } else {
          if (value[pos] !== ch) return undefined;
          pos += 1;
        }
      }
      continue;
    }
    const { letter, count } = t;
    if (isNumericToken(t)) {
      const abutting = isNumericToken(tokens[ti + 1]);
      const max = abutting ? count : Infinity;
      let j = pos;
      while (j < value.length && j - pos < max && value[j] >= '0' && value[j] <= '9') j += 1;
      if (j === pos) return undefined;
      const digits = value.slice(pos, j);
      const n = Number(digits);
      pos = j;
      switch (letter) {
        case 'y':
        case 'Y':
          if (count === 2 && digits.length === 2) {
            // Java: within 80 years before and 20 years after now
            const now = new Date().getUTCFullYear();
            const base = now - 80;
            let y = Math.floor(base / 100) * 100 + n;
            if (y < base) y += 100;
            year = y;
          } else {
            year = n;
          }
          break;
        case 'M':
        case 'L':
          month = n;
          break;
        case 'd':
          day = n;
          break;
        case 'H':
          hour = n;
          hasTime = true;
          break;
        case 'k':
          hour = n === 24 ? 0 : n;
          hasTime = true;
          break;
        case 'K':
          hour12 = n;
          hasTime = true;
          break;
        case 'h':
          hour12 = n === 12 ? 0 : n;
          hasTime = true;
          break;
        case 'm':
          minute = n;
          hasTime = true;
          break;
        case 's':
          second = n;
          hasTime = true;
          break;
        case 'S':
          millisecond = n;
          hasTime = true;
          break;
        default:
          break; // 'u' (day of week number): ignored
      }
      continue;
    }
    switch (letter) {
      case 'M':
      case 'L': {
        const m = /^[A-Za-z]+\.?/.exec(value.slice(pos));
        if (!m) return undefined;
        const idx = MONTHS.indexOf(m[0].slice(0, 3).toLowerCase());
        if (idx < 0) return undefined;
        month = idx + 1;
        pos += m[0].length;
        break;
      }
      case 'E': {
        const m = /^[A-Za-z]+\.?/.exec(value.slice(pos));
        if (!m) return undefined;
        pos += m[0].length;
        break;
      }
      case 'a': {
        const m = /^([AaPp])\.?[Mm]\.?/.exec(value.slice(pos));
        if (!m) return undefined;
        pm = m[1].toLowerCase() === 'p';
        pos += m[0].length;
        break;
      }
      case 'G': {
        const m = /^(AD|BC)/i.exec(value.slice(pos));
        if (!m) return undefined;
        bc = m[1].toUpperCase() === 'BC';
        pos += m[0].length;
        break;
      }
      case 'z':
      case 'Z':
      case 'X': {
        const z = readZone(value.slice(pos));
        if (!z) return undefined;
        zone = z.zone;
        pos += z.length;
        break;
      }
      default:
        return undefined;
    }
  }

  if (year === undefined) year = 1970;
  if (bc) year = 1 - year;
  if (hour12 !== undefined) hour = hour12 + (pm ? 12 : 0);
  else if (pm !== undefined && hour < 12 && pm) hour += 12;
  if (month < 1 || month > 12) return undefined;
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || millisecond > 999) return undefined;
  return { year, month, day, hour, minute, second, millisecond, hasTime, zone };
}

/** Epoch milliseconds of a parsed date-time; `defaultTimeZone` (IANA) or local time if zoneless. */
export function instantOf(p: ParsedDateTime, defaultTimeZone?: string): number | undefined {
  if (p.zone && 'offsetMinutes' in p.zone) return utcMsOf(p) - p.zone.offsetMinutes * 60_000;
  const tz = p.zone && 'timeZone' in p.zone ? p.zone.timeZone : defaultTimeZone;
  if (tz) return zonedWallToMs(p, tz);
  return localWallToMs(p);
}

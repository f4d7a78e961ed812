import {
  civilFromDays,
  daysFromCivil,
  formatPosixct,
  formatRDate,
  offsetMinutesAt,
  parseWithPattern,
  patternHasTime,
  readZone,
} from '../../../server/engine/encoding/dates';

describe('calendar', () => {
  it('converts dates to day counts and back, across centuries and leap years', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2011, 10, 4)).toBe(15251);
    expect(daysFromCivil(1960, 2, 29)).toBe(-3594);
    for (const days of [-719468, -3594, -1, 0, 59, 10957, 11016, 15251, 2932896]) {
      const { year, month, day } = civilFromDays(days);
      expect(daysFromCivil(year, month, day)).toBe(days);
    }
    expect(formatRDate(11016)).toBe('2000-02-29');
    expect(formatRDate(-0.5)).toBe('1969-12-31');
    expect(formatRDate(daysFromCivil(12, 3, 4))).toBe('0012-03-04');
  });

  it('formats POSIXct in a zone', () => {
    expect(formatPosixct(0, 'UTC')).toBe('1970-01-01 00:00:00 +0000');
    expect(formatPosixct(0, 'America/St_Johns')).toBe('1969-12-31 20:30:00 -0330');
    expect(formatPosixct(1467390600, 'Europe/Berlin')).toBe('2016-07-01 18:30:00 +0200');
    expect(offsetMinutesAt(Date.UTC(2016, 0, 1), 'Nowhere/Land')).toBeUndefined();
  });
});

describe('Java date patterns', () => {
  it('knows which patterns carry a time', () => {
    expect(patternHasTime('yyyy-MM-dd')).toBe(false);
    expect(patternHasTime('yyyy-MM-dd HH:mm:ss Z')).toBe(true);
    expect(patternHasTime("yyyy-MM-dd'T'hh:mm a")).toBe(true);
    expect(patternHasTime("'hh' yyyy")).toBe(false);
  });

  it('parses abutting numeric fields by width', () => {
    expect(parseWithPattern('20160105', 'yyyyMMdd')).toMatchObject({ year: 2016, month: 1, day: 5 });
    expect(parseWithPattern('20160105 1011', 'yyyyMMdd HHmm')).toMatchObject({ hour: 10, minute: 11 });
  });

  it('handles 12-hour clocks, months by name, weekdays, eras and quotes', () => {
    expect(parseWithPattern('12:05 AM', 'hh:mm a')).toMatchObject({ hour: 0, minute: 5 });
    expect(parseWithPattern('12:05 PM', 'hh:mm a')).toMatchObject({ hour: 12 });
    expect(parseWithPattern('Tue, 5 January 2016', 'EEE, d MMMM yyyy')).toMatchObject({ year: 2016, month: 1, day: 5 });
    expect(parseWithPattern("at 5 o'clock", "'at' H 'o''clock'")).toMatchObject({ hour: 5 });
    expect(parseWithPattern('16-01-05', 'yy-MM-dd')?.year).toBe(2016);
  });

  it('rejects values that do not fit', () => {
    expect(parseWithPattern('2016-13-01', 'yyyy-MM-dd')).toBeUndefined();
    expect(parseWithPattern('2015-02-29', 'yyyy-MM-dd')).toBeUndefined();
    expect(parseWithPattern('2016/01/05', 'yyyy-MM-dd')).toBeUndefined();
    expect(parseWithPattern('2016-01-05 25:00:00', 'yyyy-MM-dd HH:mm:ss')).toBeUndefined();
  });

  it('reads zones', () => {
    expect(readZone('-0800')).toEqual({ zone: { offsetMinutes: -480 }, length: 5 });
    expect(readZone('+05:30 rest')).toEqual({ zone: { offsetMinutes: 330 }, length: 6 });
    expect(readZone('GMT+1')).toEqual({ zone: { offsetMinutes: 60 }, length: 5 });
    expect(readZone('CEST')).toEqual({ zone: { offsetMinutes: 120 }, length: 4 });
    expect(readZone('Europe/Paris')).toEqual({ zone: { timeZone: 'Europe/Paris' }, length: 12 });
    expect(readZone('Bogus')).toBeUndefined();
  });
});

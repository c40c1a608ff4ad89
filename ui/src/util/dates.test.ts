import { describe, expect, it } from 'vitest';
import { autoDots, daysInMonth, isoToField, parseRuDate, todayField } from './dates';

describe('parseRuDate', () => {
  it('reads dd.mm.yyyy and d.m.yyyy into YYYY-MM-DD', () => {
    expect(parseRuDate('01.03.2026')).toEqual({ ok: true, iso: '2026-03-01' });
    expect(parseRuDate('1.3.2026')).toEqual({ ok: true, iso: '2026-03-01' });
    expect(parseRuDate(' 31.12.2026 ')).toEqual({ ok: true, iso: '2026-12-31' });
    expect(parseRuDate('29.02.2028')).toEqual({ ok: true, iso: '2028-02-29' });
  });

  it('never reads a date the American way', () => {
    // 03.01.2026 is the 3rd of January, never March 1st; 12/31 is no date at all.
    expect(parseRuDate('03.01.2026')).toEqual({ ok: true, iso: '2026-01-03' });
    expect(parseRuDate('12.31.2026')).toEqual({ ok: false, error: 'Месяц — число от 1 до 12' });
    expect(parseRuDate('2026-03-01').ok).toBe(false);
  });

  it('says in Russian what is wrong', () => {
    expect(parseRuDate('')).toEqual({ ok: false, error: 'Введите дату: дд.мм.гггг, например 05.03.2026' });
    expect(parseRuDate('', false)).toEqual({ ok: true, iso: '' });
    expect(parseRuDate('01.03')).toEqual({ ok: false, error: 'Дата вводится так: дд.мм.гггг, например 05.03.2026' });
    expect(parseRuDate('01.03.26').ok).toBe(false);
    expect(parseRuDate('31.02.2026')).toEqual({ ok: false, error: 'Такого дня нет: в феврале 2026 года 28 дней' });
    expect(parseRuDate('32.01.2026')).toEqual({ ok: false, error: 'Такого дня нет: в январе 2026 года 31 день' });
    expect(parseRuDate('00.01.2026').ok).toBe(false);
    expect(parseRuDate('31.04.2026')).toEqual({ ok: false, error: 'Такого дня нет: в апреле 2026 года 30 дней' });
    expect(parseRuDate('01.00.2026')).toEqual({ ok: false, error: 'Месяц — число от 1 до 12' });
    expect(parseRuDate('01.03.0202')).toEqual({ ok: false, error: 'Проверьте год: 0202' });
  });

  it('knows the length of months', () => {
    expect(daysInMonth(2026, 2)).toBe(28);
    expect(daysInMonth(2028, 2)).toBe(29);
    expect(daysInMonth(2026, 12)).toBe(31);
  });
});

describe('autoDots', () => {
  /** Types `keys` one by one as a keyboard would, returning the field after each. */
  function typeKeys(keys: string): string {
    let v = '';
    for (const k of keys) v = autoDots(v + k);
    return v;
  }

  it('puts the dots in while typing digits', () => {
    expect(typeKeys('01032026')).toBe('01.03.2026');
    expect(typeKeys('0')).toBe('0');
    expect(typeKeys('01')).toBe('01.');
    expect(typeKeys('0103')).toBe('01.03.');
  });

  it('lets the dots be typed too, and short parts', () => {
    expect(typeKeys('01.03.2026')).toBe('01.03.2026');
    expect(typeKeys('1.3.2026')).toBe('1.3.2026');
    expect(typeKeys('1,3,2026')).toBe('1.3.2026');
  });

  it('takes a pasted date and drops what is not a date', () => {
    expect(autoDots('01032026')).toBe('01.03.2026');
    expect(autoDots('01/03/2026')).toBe('01.03.2026');
    expect(autoDots('01.03.2026 г.')).toBe('01.03.2026');
    expect(autoDots('01.03.20261')).toBe('01.03.2026');
    expect(autoDots('abc')).toBe('');
  });

  it('adds no dot back while deleting', () => {
    expect(autoDots('01.03', true)).toBe('01.03');
    expect(autoDots('01', true)).toBe('01');
  });
});

describe('field text', () => {
  it('shows ISO dates and today as dd.mm.yyyy', () => {
    expect(isoToField('2026-03-01')).toBe('01.03.2026');
    expect(isoToField('')).toBe('');
    expect(todayField(new Date(2026, 0, 5))).toBe('05.01.2026');
  });
});

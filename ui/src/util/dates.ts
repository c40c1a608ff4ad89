// The date field's logic, independent of the system locale: the librarian types dd.mm.yyyy (or
// d.m.yyyy), the backend takes YYYY-MM-DD. Pure functions; DateInput.svelte is the field.

import { formatDate, todayIso } from './format';

export type ParsedDate = { ok: true; iso: string } | { ok: false; error: string };

export const DATE_PLACEHOLDER = 'дд.мм.гггг';
const EXAMPLE = 'например 05.03.2026';

/** «в январе» … «в декабре». */
const IN_MONTH = [
  'в январе',
  'в феврале',
  'в марте',
  'в апреле',
  'в мае',
  'в июне',
  'в июле',
  'в августе',
  'в сентябре',
  'в октябре',
  'в ноябре',
  'в декабре',
];

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * dd.mm.yyyy or d.m.yyyy → YYYY-MM-DD, or a Russian message saying what is wrong. An empty text
 * is an error only when the date is `required`; otherwise it parses to `iso: ''`.
 */
export function parseRuDate(text: string, required = true): ParsedDate {
  const t = text.trim();
  if (t === '') {
    return required ? { ok: false, error: `Введите дату: ${DATE_PLACEHOLDER}, ${EXAMPLE}` } : { ok: true, iso: '' };
  }
  const m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(t);
  if (!m) return { ok: false, error: `Дата вводится так: ${DATE_PLACEHOLDER}, ${EXAMPLE}` };
  const [day, month, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 2000 || year > 2099) return { ok: false, error: `Проверьте год: ${m[3]}` };
  if (month < 1 || month > 12) return { ok: false, error: 'Месяц — число от 1 до 12' };
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) {
    return { ok: false, error: `Такого дня нет: ${IN_MONTH[month - 1]} ${year} года ${days} ${days === 31 ? 'день' : 'дней'}` };
  }
  return { ok: true, iso: `${year}-${pad(month)}-${pad(day)}` };
}

/** YYYY-MM-DD → dd.mm.yyyy for the field ('' stays ''). */
export function isoToField(iso: string): string {
  return iso ? formatDate(iso) : '';
}

/** Today as the field shows it. */
export function todayField(now: Date = new Date()): string {
  return formatDate(todayIso(now));
}

/**
 * What the field holds after an edit: only digits and dots (a comma, slash, dash or space typed
 * as a separator becomes a dot), no double dots, at most 10 characters. While typing forward
 * (not `deleting`) a dot follows a two-digit day and month by itself, and digits typed past two
 * start the next part, so «01032026» becomes «01.03.2026»; «1.3.2026» stays as typed.
 */
export function autoDots(raw: string, deleting = false): string {
  let v = raw.replace(/[,/\-\s]/g, '.').replace(/[^\d.]/g, '').replace(/\.{2,}/g, '.');
  if (v.startsWith('.')) v = v.slice(1);
  const parts = v.split('.');
  // Day and month have at most two digits: the rest starts the next part.
  for (let i = 0; i < Math.min(parts.length, 2); i++) {
    if (parts[i].length > 2) {
      const extra = parts[i].slice(2);
      parts[i] = parts[i].slice(0, 2);
      if (i + 1 < parts.length) parts[i + 1] = extra + parts[i + 1];
      else parts.push(extra);
    }
  }
  const kept = parts.slice(0, 3);
  kept[kept.length - 1] = kept[kept.length - 1].slice(0, kept.length === 3 ? 4 : 2);
  v = kept.join('.');
  if (!deleting && kept.length < 3 && kept[kept.length - 1].length === 2) v += '.';
  return v.slice(0, 10);
}

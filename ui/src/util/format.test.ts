import { describe, expect, it } from 'vitest';
import { documentTypesFor, formatDate, outcomeText, scopeTitle, todayIso } from './format';
import { CONFIG } from '../test/fakeBackend';

describe('format', () => {
  it('formats dates and scopes', () => {
    expect(formatDate('2026-03-01')).toBe('01.03.2026');
    expect(todayIso(new Date(2026, 0, 5))).toBe('2026-01-05');
    expect(scopeTitle({ kind: 'today', date: '2026-03-01' })).toBe('Сегодня, 01.03.2026');
    expect(scopeTitle({ kind: 'event', event: { id: 'e', title: 'Лекция', date: '2026-03-02' } })).toBe(
      'Лекция, 02.03.2026',
    );
  });

  it('words outcomes as specified', () => {
    expect(outcomeText('digital_id', 'confirmed')).toBe('Подтверждено Цифровым ID');
    expect(outcomeText('digital_id', 'paper_shown')).toBe('Цифровой ID не подтверждён → бумажный документ');
    expect(outcomeText('paper', 'paper_shown')).toBe('Бумажный документ');
    expect(outcomeText('digital_id', 'no_document')).toBe('Льгота не предоставлена (документа нет)');
    expect(outcomeText('none', 'refused')).toBe('Гражданин отказался от подтверждения');
    expect(outcomeText('paper', 'paper_rejected')).toBe('Документ не принят — льгота не предоставлена');
    expect(outcomeText('digital_id', 'paper_rejected')).toBe('Документ не принят — льгота не предоставлена');
  });

  it('lists a category’s document types in order', () => {
    expect(documentTypesFor(CONFIG, 'pensioner').map((d) => d.name)).toEqual([
      'Пенсионное удостоверение',
      'Справка о назначении пенсии',
    ]);
    expect(documentTypesFor(CONFIG, 'nope')).toEqual([]);
  });
});

import type { Config, Method, Named, Outcome, RecordView, Scope } from '../backend/types';

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Today's device-local date as YYYY-MM-DD. */
export function todayIso(now: Date = new Date()): string {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** YYYY-MM-DD → dd.mm.yyyy (anything else is returned unchanged). */
export function formatDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}.${m[2]}.${m[1]}` : iso;
}

export function scopeTitle(scope: Scope): string {
  return scope.kind === 'event'
    ? `${scope.event.title}, ${formatDate(scope.event.date)}`
    : `Сегодня, ${formatDate(scope.date)}`;
}

export function nameOf(list: Named[], id: string | null | undefined): string | null {
  if (!id) return null;
  return list.find((x) => x.id === id)?.name ?? id;
}

export function outcomeText(method: Method, outcome: Outcome): string {
  switch (outcome) {
    case 'confirmed':
      return method === 'svo_qr' ? 'Подтверждено QR-кодом участника СВО' : 'Подтверждено Цифровым ID';
    case 'paper_shown':
      return method === 'digital_id'
        ? 'Цифровой ID не подтверждён → бумажный документ'
        : 'Бумажный документ';
    case 'paper_rejected':
      return 'Документ не принят — льгота не предоставлена';
    case 'no_document':
      return 'Льгота не предоставлена (документа нет)';
    case 'refused':
      return 'Гражданин отказался от подтверждения';
    default:
      return String(outcome);
  }
}

/** Secondary details of a record: category, document type, failure reason. */
export function recordDetails(r: RecordView, config: Config): string[] {
  const out: string[] = [];
  const cat = nameOf(config.categories, r.category_id);
  if (cat) out.push(cat);
  const doc = nameOf(config.document_types, r.document_type_id);
  if (doc) out.push(`Документ: ${doc}`);
  const reason = nameOf(config.failure_reasons, r.failure_reason_id);
  if (reason) out.push(`Причина: ${reason}`);
  if (r.checklist_completed === true) out.push('Проверен по списку');
  else if (r.checklist_completed === false) out.push('Проверен не по всем пунктам');
  return out;
}

/** Document types configured for a category, in the category's order. */
export function documentTypesFor(config: Config, categoryId: string): Named[] {
  const cat = config.categories.find((c) => c.id === categoryId);
  if (!cat) return [];
  return cat.document_type_ids.map(
    (id) => config.document_types.find((d) => d.id === id) ?? { id, name: id },
  );
}

/** Epoch milliseconds → device-local «dd.mm.yyyy HH:MM». */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getDate())}.${pad(d.getMonth() + 1)}.${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Checks shown when the content pack has no checklist for a document (or could not load). */
export const DEFAULT_CHECKS: readonly string[] = [
  'Фото в документе совпадает с человеком',
  'Документ действителен',
  'Указан орган, выдавший документ',
  'В документе указана категория льготы',
];

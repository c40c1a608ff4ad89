// The instructions' state where they are shown (issue 17): a pack outdated by a newer
// configuration stays in use and says so; a phone enrolled with its institution's key shows
// nothing of another institution until that institution's first pack arrives.
import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/svelte';
import { FakeBackend, PACK } from './test/fakeBackend';
import { click, onMain, startApp } from './test/harness';
import type { ContentPack } from './backend/types';

const EMPTY: ContentPack = {
  format: 2,
  version: 0,
  title: '',
  published: '',
  citizen_guide: '',
  articles: [],
  checklists: [],
  regulation: { title: '', approved: '', sections: [] },
  training: [],
};

describe('the instructions’ state', () => {
  it('an outdated pack stays in use and says it will be updated at the next sync', async () => {
    startApp(new FakeBackend({ content: { pack: structuredClone(PACK), source: 'installed', last_refusal: null, stale: true } }));
    await onMain();
    await click('btn-content');
    await screen.findByTestId('content-screen');
    expect(screen.getByTestId('content-stale')).toHaveTextContent(
      'Инструкции устарели — обновятся при следующей синхронизации',
    );
    // The kept pack is still shown, not replaced.
    expect((await screen.findAllByTestId('content-item')).length).toBeGreaterThan(0);
    expect(screen.queryByTestId('content-awaiting')).toBeNull();
  });

  it('a current pack says nothing', async () => {
    startApp(new FakeBackend());
    await onMain();
    await click('btn-content');
    await screen.findAllByTestId('content-item');
    expect(screen.queryByTestId('content-stale')).toBeNull();
    expect(screen.queryByTestId('content-awaiting')).toBeNull();
  });

  it('before the institution’s first pack nothing of another regulation is shown', async () => {
    startApp(new FakeBackend({ content: { pack: EMPTY, source: 'awaiting', last_refusal: null, stale: false } }));
    await onMain();
    await click('btn-content');
    await screen.findByTestId('content-screen');
    expect(screen.getByTestId('content-awaiting')).toHaveTextContent('Инструкции появятся после первой синхронизации');
    expect(screen.queryAllByTestId('content-item')).toHaveLength(0);
    expect(screen.queryByText('Положение')).toBeNull();
  });
});

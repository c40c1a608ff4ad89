import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import * as api from './api';
import { AppError, INTERNAL_MESSAGE, toAppError } from './api';

afterEach(() => clearMocks());

describe('api', () => {
  it('maps a rejected {code, message} to an AppError', async () => {
    mockIPC(() => {
      throw { code: 'personal_data', message: 'Примечание похоже на персональные данные' };
    });
    const err = await api.voidRecord('r1', 'Иванов').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toBeInstanceOf(Error);
    expect((err as AppError).code).toBe('personal_data');
    expect((err as AppError).message).toBe('Примечание похоже на персональные данные');
  });

  it('shows a fixed Russian sentence for a plain string rejection (Tauri-level error) and logs the detail', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    mockIPC(() => {
      throw 'invalid args `input` for command `record_check`';
    });
    const err = (await api.recordCheck({ kind: 'refused' }).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('internal');
    expect(err.message).toBe(INTERNAL_MESSAGE);
    expect(err.message).not.toContain('invalid args');
    expect(log).toHaveBeenCalledWith(expect.any(String), 'invalid args `input` for command `record_check`');
  });

  it('reports a missing Tauri runtime in Russian', () => {
    const e = toAppError(new TypeError("Cannot read properties of undefined (reading 'invoke')"));
    expect(e.code).toBe('no_backend');
    expect(e.message).toMatch(/вне Tauri/);
  });

  it('sends the contract command names and argument names', async () => {
    const seen: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return {};
    });
    await api.getState();
    await api.setup({ branch_id: 'b', staff_label: 'ИП', event: null });
    await api.setEvent({ title: 'Лекция', date: '2026-03-01' });
    await api.setEvent(null);
    await api.recordCheck({ kind: 'digital_id_confirmed', category_id: 'student' });
    await api.undoRecord('r1');
    await api.voidRecord('r2', 'ошибка');
    await api.overview();
    expect(seen.map(([c]) => c)).toEqual([
      'get_state',
      'setup',
      'set_event',
      'set_event',
      'record_check',
      'undo_record',
      'void_record',
      'overview',
    ]);
    expect(seen[1][1]).toEqual({ input: { branch_id: 'b', staff_label: 'ИП', event: null } });
    expect(seen[2][1]).toEqual({ event: { title: 'Лекция', date: '2026-03-01' } });
    expect(seen[3][1]).toEqual({ event: null });
    expect(seen[4][1]).toEqual({ input: { kind: 'digital_id_confirmed', category_id: 'student' } });
    expect(seen[5][1]).toEqual({ id: 'r1' });
    expect(seen[6][1]).toEqual({ id: 'r2', reason: 'ошибка' });
  });

  it('sends the content and training commands with their argument names', async () => {
    const seen: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return {};
    });
    await api.getContent();
    await api.searchContent('пенсион');
    await api.installContentPack('{"payload":"{}"}');
    await api.setTraining(true);
    await api.completeTraining('did-success', 2);
    expect(seen.map(([c]) => c)).toEqual([
      'get_content',
      'search_content',
      'install_content_pack',
      'set_training',
      'complete_training',
    ]);
    expect(seen[1][1]).toEqual({ query: 'пенсион' });
    expect(seen[2][1]).toEqual({ pack: '{"payload":"{}"}' });
    expect(seen[3][1]).toEqual({ on: true });
    expect(seen[4][1]).toEqual({ scenario_id: 'did-success', correct_first_try: 2 });
  });

  it('sends the sync and central-event commands with their argument names', async () => {
    const seen: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return {};
    });
    await api.enroll({ uri: 'lgota:enroll?v=1&server=https%3A%2F%2Fa&code=X' });
    await api.enroll({ server: 'https://a', code: 'X' });
    await api.syncStatus();
    await api.syncNow();
    await api.exportPending();
    await api.listEvents();
    await api.chooseEvent('cev-1');
    expect(seen.map(([c]) => c)).toEqual([
      'enroll',
      'enroll',
      'sync_status',
      'sync_now',
      'export_pending',
      'list_events',
      'choose_event',
    ]);
    expect(seen[0][1]).toEqual({ input: { uri: 'lgota:enroll?v=1&server=https%3A%2F%2Fa&code=X' } });
    expect(seen[1][1]).toEqual({ input: { server: 'https://a', code: 'X' } });
    expect(seen[6][1]).toEqual({ id: 'cev-1' });
  });

  it('keeps the enrollment refusal code and message', async () => {
    mockIPC(() => {
      throw { code: 'enrollment_code_expired', message: 'Срок действия кода подключения истёк' };
    });
    const err = (await api.enroll({ server: 'https://a', code: 'X' }).catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('enrollment_code_expired');
    expect(err.message).toBe('Срок действия кода подключения истёк');
  });

  it('keeps the install refusal code and message', async () => {
    mockIPC(() => {
      throw { code: 'content_bad_signature', message: 'Подпись пакета не совпадает' };
    });
    const err = (await api.installContentPack('{}').catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('content_bad_signature');
    expect(err.message).toBe('Подпись пакета не совпадает');
  });

  describe('scanQr', () => {
    function camera(scan: () => unknown) {
      const seen: string[] = [];
      mockIPC((cmd) => {
        seen.push(cmd);
        if (cmd === 'plugin:barcode-scanner|check_permissions') return { camera: 'granted' };
        if (cmd === 'plugin:barcode-scanner|scan') return scan();
        throw `unexpected ${cmd}`;
      });
      return seen;
    }

    it('returns the text of the scanned code', async () => {
      camera(() => ({ content: 'lgota:event?v=1&id=x', format: 'QR_CODE' }));
      expect(await api.scanQr()).toBe('lgota:event?v=1&id=x');
    });

    it.each([
      ['the plain string', 'cancelled'],
      ['an error object', { message: 'cancelled' }],
    ])('returns null when the camera is closed without a scan (%s)', async (_what, rejection) => {
      const log = vi.spyOn(console, 'error').mockImplementation(() => {});
      const seen = camera(() => {
        throw rejection;
      });
      expect(await api.scanQr()).toBeNull();
      expect(seen).toContain('plugin:barcode-scanner|scan');
      expect(log).not.toHaveBeenCalled();
    });

    it('turns another camera failure into the fixed Russian sentence', async () => {
      vi.spyOn(console, 'error').mockImplementation(() => {});
      camera(() => {
        throw 'Camera is in use by another app';
      });
      const err = (await api.scanQr().catch((e: unknown) => e)) as AppError;
      expect(err.code).toBe('internal');
      expect(err.message).toBe(INTERNAL_MESSAGE);
    });
  });
});

-- Rows a phone of any release holds, in the columns of the first release's schema (later
-- migrations only add columns with defaults, tables and triggers): enrolled in branch-1, one event
-- started on the phone, ten records — checks of every method, a void, a training check — of which
-- the server acknowledged the first three (outbox cursor 3). No personal data: staff code only.
INSERT INTO meta (key, value) VALUES
    ('device_id', '0190f0f0-aaaa-7bbb-8ccc-000000000001'),
    ('branch_id', 'branch-1'),
    ('staff_label', 'ЦГБ-01'),
    ('outbox_cursor', '3'),
    ('server_url', 'https://cbs.example/lgota'),
    ('device_token', 'dGVzdC10b2tlbi1vZi1hbi1vbGQtcmVsZWFzZS0wMDAx'),
    ('events_cursor', '0');
INSERT INTO events (id, title, date, branch_id, created_at_ms, origin) VALUES
    ('0190f0f0-eeee-7000-8000-000000000001', 'Встреча с краеведом', '2026-11-20', 'branch-1', 1763600000000, 'local');
UPDATE app_lock SET idle_seconds = 300 WHERE id = 1;
INSERT INTO records (id, kind, created_at_ms, utc_offset_min, device_id, branch_id, event_id, staff_label, training,
                     method, outcome, granted, category_id, failure_reason_id, document_type_id, checklist_completed,
                     note, target_id, void_reason) VALUES
    ('0190f0f0-0000-7000-8000-000000000001', 'check', 1763600100000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', '0190f0f0-eeee-7000-8000-000000000001', 'ЦГБ-01', 0,
     'digital_id', 'confirmed', 1, 'pensioner', NULL, NULL, NULL, NULL, NULL, NULL),
    ('0190f0f0-0000-7000-8000-000000000002', 'check', 1763600200000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', '0190f0f0-eeee-7000-8000-000000000001', 'ЦГБ-01', 0,
     'paper', 'paper_shown', 1, 'student', 'no_internet', 'student_card', 1, 'Госкан не открылся', NULL, NULL),
    ('0190f0f0-0000-7000-8000-000000000003', 'check', 1763600300000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     'none', 'refused', 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ('0190f0f0-0000-7000-8000-000000000004', 'check', 1763600400000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     'digital_id', 'confirmed', 1, 'large_family', NULL, NULL, NULL, NULL, NULL, NULL),
    ('0190f0f0-0000-7000-8000-000000000005', 'check', 1763600500000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     'svo_qr', 'confirmed', 1, 'svo', NULL, NULL, NULL, NULL, NULL, NULL),
    ('0190f0f0-0000-7000-8000-000000000006', 'check', 1763600600000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     'paper', 'no_document', 0, 'disabled', 'status_not_confirmed', NULL, NULL, NULL, NULL, NULL),
    ('0190f0f0-0000-7000-8000-000000000007', 'void', 1763600700000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '0190f0f0-0000-7000-8000-000000000004', 'Ошибочно выбрана категория'),
    ('0190f0f0-0000-7000-8000-000000000008', 'check', 1763600800000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     'digital_id', 'confirmed', 1, 'pensioner', NULL, NULL, NULL, NULL, NULL, NULL),
    ('0190f0f0-0000-7000-8000-000000000009', 'check', 1763600900000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 1,
     'digital_id', 'confirmed', 1, 'student', NULL, NULL, NULL, NULL, NULL, NULL),
    ('0190f0f0-0000-7000-8000-000000000010', 'check', 1763601000000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     'paper', 'paper_rejected', 0, 'pensioner', NULL, 'pension_certificate', 0, NULL, NULL, NULL);

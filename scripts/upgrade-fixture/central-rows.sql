-- Rows a central server of any release holds, in the columns of the first release's schema
-- (later migrations only add columns with defaults, tables and triggers; the count tables fill
-- from the records by their triggers): three branches, two phones, an administrator, an event,
-- twelve records of two phones — checks of every method and outcome, offline ones, a void.
-- Hashes are made-up hex; nobody signs in to a fixture.
INSERT INTO branches (id, name) VALUES ('central', 'Центральная библиотека'), ('branch-1', 'Библиотека-филиал № 1'),
    ('branch-2', 'Библиотека-филиал № 2');
INSERT INTO devices (id, branch_id, token_sha256, enrolled_at, revoked_at, last_seen_at) VALUES
    ('0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', 'aa01aa01aa01aa01aa01aa01aa01aa01aa01aa01aa01aa01aa01aa01aa01aa01', 1763500000000, NULL, 1763700000000),
    ('0190f0f0-aaaa-7bbb-8ccc-000000000002', 'branch-2', 'bb02bb02bb02bb02bb02bb02bb02bb02bb02bb02bb02bb02bb02bb02bb02bb02', 1763500000000, NULL, 1763700000000);
INSERT INTO admins (login, password_hash, role, branch_id, created_at) VALUES
    ('admin', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$0000000000000000000000000000000000000000000', 'admin', NULL, 1763400000000);
INSERT INTO events (id, title, date, branch_id, created_at_ms) VALUES
    ('0190f0f0-eeee-7000-8000-000000000002', 'Неделя краеведения', '2026-11-20', 'branch-2', 1763400000000);
INSERT INTO records (id, kind, created_at_ms, utc_offset_min, device_id, branch_id, event_id, staff_label, training,
                     method, outcome, granted, category_id, failure_reason_id, document_type_id, checklist_completed,
                     note, target_id, void_reason, received_at_ms, offline) VALUES
    ('0190f0f0-0000-7000-8000-000000000001', 'check', 1763600100000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     'digital_id', 'confirmed', 1, 'pensioner', NULL, NULL, NULL, NULL, NULL, NULL, 1763600101000, 0),
    ('0190f0f0-0000-7000-8000-000000000002', 'check', 1763600200000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     'paper', 'paper_shown', 1, 'student', 'no_internet', 'student_card', 1, 'Госкан не открылся', NULL, NULL, 1763690000000, 1),
    ('0190f0f0-0000-7000-8000-000000000003', 'check', 1763600300000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     'none', 'refused', 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1763600301000, 0),
    ('0190f0f0-0000-7000-8000-000000000004', 'check', 1763600400000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     'digital_id', 'confirmed', 1, 'large_family', NULL, NULL, NULL, NULL, NULL, NULL, 1763600401000, 0),
    ('0190f0f0-0000-7000-8000-000000000005', 'void', 1763600450000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '0190f0f0-0000-7000-8000-000000000004', 'Ошибочно выбрана категория', 1763600451000, 0),
    ('0190f0f0-0000-7000-8000-000000000006', 'check', 1763600500000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000001', 'branch-1', NULL, 'ЦГБ-01', 0,
     'svo_qr', 'confirmed', 1, 'svo', NULL, NULL, NULL, NULL, NULL, NULL, 1763600501000, 0),
    ('0190f0f0-0000-7000-8000-000000000007', 'check', 1763600600000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000002', 'branch-2', '0190f0f0-eeee-7000-8000-000000000002', 'Ф2-03', 0,
     'digital_id', 'confirmed', 1, 'pensioner', NULL, NULL, NULL, NULL, NULL, NULL, 1763600601000, 0),
    ('0190f0f0-0000-7000-8000-000000000008', 'check', 1763600700000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000002', 'branch-2', '0190f0f0-eeee-7000-8000-000000000002', 'Ф2-03', 0,
     'paper', 'no_document', 0, 'disabled', 'status_not_confirmed', NULL, NULL, NULL, NULL, NULL, 1763600701000, 0),
    ('0190f0f0-0000-7000-8000-000000000009', 'check', 1763600800000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000002', 'branch-2', '0190f0f0-eeee-7000-8000-000000000002', 'Ф2-03', 0,
     'digital_id', 'confirmed', 1, 'adult', NULL, NULL, NULL, NULL, NULL, NULL, 1763600801000, 0),
    ('0190f0f0-0000-7000-8000-000000000010', 'check', 1763600900000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000002', 'branch-2', NULL, 'Ф2-03', 0,
     'paper', 'paper_rejected', 0, 'pensioner', NULL, 'pension_certificate', 0, NULL, NULL, NULL, 1763700000000, 1),
    ('0190f0f0-0000-7000-8000-000000000011', 'check', 1763601000000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000002', 'branch-2', NULL, 'Ф2-03', 0,
     'digital_id', 'no_document', 0, 'student', 'goskan_error', NULL, NULL, NULL, NULL, NULL, 1763601001000, 0),
    ('0190f0f0-0000-7000-8000-000000000012', 'check', 1763601100000, 180, '0190f0f0-aaaa-7bbb-8ccc-000000000002', 'branch-2', NULL, 'Ф2-03', 0,
     'digital_id', 'confirmed', 1, 'student', NULL, NULL, NULL, NULL, NULL, NULL, 1763601101000, 0);

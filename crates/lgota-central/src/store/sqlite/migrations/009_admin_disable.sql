-- Dashboard users can be disabled (`admin disable`, the «Пользователи» page): a disabled user
-- cannot sign in and has no sessions; `admin enable` lets them in again.
ALTER TABLE admins ADD COLUMN disabled_at INTEGER;

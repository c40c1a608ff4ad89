-- 015: the app for phones, uploaded by an administrator and downloaded from the server (issue
-- 17). The newest release is served; only the two newest keep their file (`apk` NULL after).
-- (Numbered 015: 011–014 belong to the training, retention and phone-policy changes.)
CREATE TABLE app_releases (
    seq            INTEGER PRIMARY KEY,
    version        TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    bytes          INTEGER NOT NULL,
    uploaded_at_ms INTEGER NOT NULL,
    login          TEXT NOT NULL,
    apk            BLOB
) STRICT;

-- Secrets MailHook obtains while it runs and must keep across restarts: the refresh token Entra
-- rotates for teams.delegatedRefreshToken. Sealed (AES-GCM) under a key derived from the
-- configured token, so the table alone gives nothing away.
CREATE TABLE sealed_credentials (
    name        TEXT PRIMARY KEY,
    sealed      TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

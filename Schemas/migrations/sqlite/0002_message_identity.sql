-- A message found by a delta round and announced by a notification is one inbox row: both carry
-- the message's identity (mailbox object id and immutable message id) in message_key.
ALTER TABLE inbox ADD COLUMN message_key TEXT;
CREATE UNIQUE INDEX idx_inbox_message_key ON inbox (message_key);

-- The mailbox's object id (GUID), which notifications use to name it.
ALTER TABLE subscriptions ADD COLUMN mailbox_id TEXT;

-- Fencing: each action record says which claim of its inbox row (lease owner and attempt) made
-- it; an action is begun only by the row's current claim holder.
ALTER TABLE action_records ADD COLUMN claim_owner TEXT;
ALTER TABLE action_records ADD COLUMN claim_attempt INTEGER;

-- The reply window: "did this sender get an automatic reply lately" reads replies by time.
CREATE INDEX idx_action_records_action_created ON action_records (action, created_at);

-- A delta round asked for while another was running (here or on another replica): the running
-- round starts one more when it ends, so what Graph failed to deliver meanwhile is fetched.
ALTER TABLE delta_state ADD COLUMN requested_at TIMESTAMPTZ;

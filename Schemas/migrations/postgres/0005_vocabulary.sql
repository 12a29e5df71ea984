-- The closed vocabularies stored in text columns. Each line below is checked against the
-- product's enums by a test, so a new value needs a line here (and a migration if it needs more).
-- vocabulary: inbox.source = graph | integration | delta
-- vocabulary: inbox.kind = graph.notification | graph.lifecycle | event.canonical | event.reference | event.imap-bridge | graph.delta
-- vocabulary: inbox.status = pending | processing | completed | gone | filtered | ignored | dead
-- vocabulary: subscriptions.status = pending | active | removed | expired | failed | deleted
-- vocabulary: action_records.action = reply | draft | flag | teams-chat | teams-message | workflow-card
-- vocabulary: action_records.mode = dry-run | live
-- vocabulary: action_records.status = started | completed | failed
-- vocabulary: processing_results.status = received | classifying | responding | escalating | completed | failed
-- vocabulary: email_messages.processing_status = received | classifying | responding | escalating | completed | failed
-- vocabulary: processing_results.error_stage = resolve | filter | sanitise | classify | route | act | record
-- vocabulary: processing_results.action_taken = reply_sent | reply_recorded | draft_created | draft_recorded | flagged_for_review | review_recorded | teams_chat_created | teams_chat_recorded | workflow_card_posted | workflow_card_recorded | flagged_for_escalation | escalation_recorded
-- vocabulary: classification_results.category = PURCHASING | SUPPORT | INFORMATION | ESCALATION | CONSULTATION
-- vocabulary: classification_results.urgency = LOW | MEDIUM | HIGH | CRITICAL
-- vocabulary: performance_metrics.metric_type = stage_time | processing_time
-- vocabulary: email_patterns.pattern_type = subject
--
-- performance_metrics ids become text, as every other pipeline table's did in 0004, so both
-- databases take the same statements.
ALTER TABLE performance_metrics ALTER COLUMN id DROP DEFAULT;
ALTER TABLE performance_metrics ALTER COLUMN id TYPE TEXT USING id::text;
ALTER TABLE performance_metrics ALTER COLUMN id SET DEFAULT gen_random_uuid()::text;

-- Several instances on one database (issue 15 §2): a search outbox row is
-- claimed by the indexer that handles it, until a moment, so that of N
-- instances sharing one search engine exactly one indexes each change; a
-- claim whose holder died lapses and the row is taken again
-- (src/search/mod.rs, `Indexer::drain`).
ALTER TABLE search_outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE search_outbox ADD COLUMN claimed_until TEXT;
-- "Is another change of this product being indexed right now?"
CREATE INDEX search_outbox_product ON search_outbox (product_id);

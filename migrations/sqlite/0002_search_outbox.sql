-- Transactional outbox of the search index: a row per product whose search
-- document may have changed, written in the same transaction as the change
-- and deleted once the search engine has taken the new document.
CREATE TABLE search_outbox (
    id          INTEGER PRIMARY KEY,
    product_id  BIGINT NOT NULL,
    enqueued_at TEXT NOT NULL
);

-- Product photos (issue 14 §3): up to six per product, uploaded by the
-- cooperative's managers. The pictures themselves are files under the data
-- folder (`<data>/photos/<product>/<key>-<width>.webp`, three widths per
-- photo, src/catalog/photos.rs); a row says which photos a product has, in
-- which order, and the size of the largest variant, from which the pages
-- compute every variant's width and height.
CREATE TABLE product_photos (
    id          INTEGER PRIMARY KEY,
    product_id  BIGINT NOT NULL REFERENCES products (id),
    -- Hex digest of the re-encoded picture: names the files, and the same
    -- picture twice on one product is refused by the unique index.
    photo_key   TEXT NOT NULL,
    -- Smallest first; the first photo is the product's cover.
    position    BIGINT NOT NULL,
    width       BIGINT NOT NULL CHECK (width > 0),
    height      BIGINT NOT NULL CHECK (height > 0),
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    created_at  TEXT NOT NULL,
    UNIQUE (product_id, photo_key)
);
CREATE INDEX product_photos_product ON product_photos (product_id, position);

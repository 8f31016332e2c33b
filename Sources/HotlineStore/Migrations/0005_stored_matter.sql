-- The distinct character bigrams of an order's title and content, as the stable 64-bit hashes
-- intake compares (Fingerprint.Matter): a new order is compared with the recent orders of its
-- place and phone from these arrays, without reading and re-shingling their text. NULL for orders
-- written before this column existed; intake reads their text instead.
ALTER TABLE work_orders ADD COLUMN shingles bigint[];

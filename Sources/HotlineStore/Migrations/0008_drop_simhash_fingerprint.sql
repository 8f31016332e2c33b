-- The SimHash of an order's text (`work_orders.fingerprint`, 0002) was written by intake and read
-- by no query: repeats and clusters are decided on the stored bigrams and lexicon matters
-- (`shingles`, `topics`, 0003 and 0005). Dropped with the code that computed it (issue 11 §6).
-- Its only index (`work_orders_region_recent`) was already dropped by 0003.
ALTER TABLE work_orders DROP COLUMN IF EXISTS fingerprint;

-- Orders routing could not place with confidence wait for the office (manual-dispatch queue);
-- and the matters an order names, for cluster detection.
ALTER TABLE work_orders ADD COLUMN manual_dispatch_reason text;
CREATE INDEX work_orders_manual_dispatch ON work_orders (received_at)
    WHERE manual_dispatch_reason IS NOT NULL AND state = 'awaitingDispatch';

-- The matters (lexicon topics such as waterOutage, noise) an order's text names: clusters are only
-- looked for among orders of the same place that share one (or, for orders naming none, among
-- those naming none).
ALTER TABLE work_orders ADD COLUMN topics text[] NOT NULL DEFAULT '{}';
DROP INDEX work_orders_region_recent;
CREATE INDEX work_orders_place_recent ON work_orders (locality_code, received_at);

-- The region code a channel sent is kept as sent, even when it is outside the gazetteer (an order
-- not accepted as outside the jurisdiction still records where the citizen said it was);
-- `locality_code` is the place resolved within the gazetteer.
ALTER TABLE work_orders DROP CONSTRAINT work_orders_region_code_fkey;

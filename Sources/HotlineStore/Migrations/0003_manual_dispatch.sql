-- Orders routing could not place with confidence wait for the office (manual-dispatch queue).
ALTER TABLE work_orders ADD COLUMN manual_dispatch_reason text;
CREATE INDEX work_orders_manual_dispatch ON work_orders (received_at)
    WHERE manual_dispatch_reason IS NOT NULL AND state = 'awaitingDispatch';

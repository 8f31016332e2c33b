-- Two costs the pipeline paid after 0010 and 0011 (pg_stat_statements over
-- `hotlinectl bench pipeline --count 5000 --lanes 1`, before → after this migration below).
--
-- 1. 0011's "my orders" index (unit_id, work_order_id) WHERE active can serve a condition on
--    work_order_id alone (a scan of the whole index with work_order_id as a key on its second
--    column). A generic plan made while `assignments` was young took it for the co-units of
--    `WorkOrders.load` (every sign, dispatch, reply...), and read all of it on every call:
--    0.142 ms a load against 0.028 before 0011, growing with the table. Keyed by unit_id only,
--    with work_order_id carried for index-only joins, it can no longer match an order's
--    condition; a unit's active assignments are read from it as before.
DROP INDEX assignments_unit_active;
CREATE INDEX assignments_unit_active ON assignments (unit_id) INCLUDE (work_order_id) WHERE active;

-- 2. 0010 woke the deadline watch from a statement trigger with a transition table: every INSERT
--    into timers (routing writes five per dispatch) captured its rows and ran a PL/pgSQL scan of
--    them. A row trigger whose WHEN is the "due at once" test costs one comparison per row, in C,
--    and calls the function only for a timer that is due (NOTIFY folds repeats within a
--    transaction into one).
DROP TRIGGER timers_notify_due ON timers;
DROP FUNCTION timers_notify_due();
CREATE FUNCTION timers_notify_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hotline_timers', '');
    RETURN NULL;
END $$;
CREATE TRIGGER timers_notify_due AFTER INSERT ON timers
    FOR EACH ROW WHEN (NEW.fire_at <= now() + interval '2 seconds')
    EXECUTE FUNCTION timers_notify_due();

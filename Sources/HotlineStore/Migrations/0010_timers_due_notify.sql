-- The deadline watch polls for due timers; a timer written already due (or due within two
-- seconds: an "at once" limit, a clock far behind) also wakes it at once with NOTIFY
-- hotline_timers. One check per INSERT statement, not per row, so routing's five timers per
-- dispatch cost one scan of the statement's own rows.
CREATE FUNCTION timers_notify_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_timers WHERE fire_at <= now() + interval '2 seconds') THEN
        PERFORM pg_notify('hotline_timers', '');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER timers_notify_due AFTER INSERT ON timers
    REFERENCING NEW TABLE AS new_timers
    FOR EACH STATEMENT EXECUTE FUNCTION timers_notify_due();

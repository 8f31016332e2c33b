-- The working-day calendar is the system of record's: the years whose arrangement is loaded
-- (a year without holidays would have no rows in calendar_days), who loaded each (the built-in
-- seed never overwrites an operator's), and on timers what is needed to count a deadline again
-- once the year it counted Monday to Friday for is loaded.
CREATE TABLE calendar_years (
    year      integer PRIMARY KEY,
    source    text NOT NULL CHECK (source IN ('built-in', 'operator')),
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- Every row of calendar_days belongs to a loaded year (a year's rows are replaced together).
ALTER TABLE calendar_days ADD COLUMN year integer GENERATED ALWAYS AS (extract(year FROM day)::integer) STORED;
-- (Nothing wrote calendar_days before this migration; any row there counts as an operator's.)
INSERT INTO calendar_years (year, source) SELECT DISTINCT year, 'operator' FROM calendar_days;
ALTER TABLE calendar_days ADD CONSTRAINT calendar_days_year FOREIGN KEY (year) REFERENCES calendar_years (year) ON DELETE CASCADE;

-- A timer whose instant counted Monday to Friday for weekdays_fallback_year (its arrangement not
-- loaded then), with its rule: due_limit (a TimeLimit as JSON) counted from due_from, less
-- due_before_seconds (reminders). NULL for every other timer.
ALTER TABLE timers
    ADD COLUMN weekdays_fallback_year integer,
    ADD COLUMN due_from               timestamptz,
    ADD COLUMN due_limit              jsonb,
    ADD COLUMN due_before_seconds     double precision;
ALTER TABLE timers ADD CONSTRAINT timers_fallback_rule
    CHECK (weekdays_fallback_year IS NULL OR (due_from IS NOT NULL AND due_limit IS NOT NULL AND due_before_seconds IS NOT NULL));
CREATE INDEX timers_weekdays_fallback ON timers (weekdays_fallback_year) WHERE weekdays_fallback_year IS NOT NULL;

-- The deadline watch: a timer whose firing fails is retried a bounded number of times with
-- growing delays, then given up with its reason (it must not be retried forever nor hold the
-- batch back). `attempts` counts failed firings, `retry_at` is when the next may be tried (the
-- claim skips it until then), `last_error` is the last failure's code and reason (a SafeError's,
-- or an error's type name: never personal data). A given-up timer is marked fired too, so it
-- leaves the partial index `timers_due` and the claim for good; `given_up_at` tells it apart.
ALTER TABLE timers
    ADD COLUMN attempts    integer NOT NULL DEFAULT 0,
    ADD COLUMN retry_at    timestamptz,
    ADD COLUMN last_error  text,
    ADD COLUMN given_up_at timestamptz;

-- `hotlinectl status` counts and lists the given-up timers without reading the whole table.
CREATE INDEX timers_given_up ON timers (given_up_at) WHERE given_up_at IS NOT NULL;

-- baotou's month-end list (`monthEnd` timers, event `monthEndUncleared`) by month.
CREATE INDEX events_month_end ON events ((data->>'month')) WHERE type = 'monthEndUncleared';

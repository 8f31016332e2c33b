-- Scoring (issue 15): the office's records that the data cannot show, approved exclusions, the
-- citizen's answers at the revisit, and versioned score runs.

-- What the hotline office records per unit and period (zezhou 三(二): items 1–6 lacking
-- 未明确…的扣 2 分, deductions 12–16 每发现一次扣…, bonuses 奖励加分项, vetoes 否决项). `item` is
-- the profile's name (e.g. missedMeeting, cityMedia, falsifiedResults).
CREATE TABLE assessment_records (
    id          bigserial PRIMARY KEY,
    unit_id     bigint NOT NULL REFERENCES units (id),
    period      text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    kind        text NOT NULL CHECK (kind IN ('missingItem', 'deduction', 'bonus', 'veto')),
    item        text NOT NULL,
    count       integer NOT NULL DEFAULT 1 CHECK (count > 0),
    note        text,
    recorded_by text,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assessment_records_period ON assessment_records (period, unit_id);

-- Orders the office approved for exclusion (剔除): not assessed (baotou 四(二)2: 剔除类工单…不计入考核).
CREATE TABLE order_exclusions (
    work_order_id uuid PRIMARY KEY REFERENCES work_orders (id),
    approved_at   timestamptz NOT NULL,
    basis         text NOT NULL,
    approved_by   text
);

-- The citizen's answers at the phone revisit (baotou 四(二)3: 是否及时联系诉求人, 问题是否解决).
ALTER TABLE ratings
    ADD COLUMN problem_solved    boolean,
    ADD COLUMN contacted_in_time boolean;
CREATE INDEX ratings_work_order_time ON ratings (work_order_id, rated_at DESC);

-- One run per period, profile and version. Re-running a period replaces its latest run unless
-- that run was published: a published run is kept as it was, and the rerun becomes version + 1.
CREATE TABLE score_runs (
    period       text NOT NULL,
    profile      text NOT NULL,
    version      integer NOT NULL CHECK (version > 0),
    scheme       text NOT NULL,
    as_of        timestamptz NOT NULL,
    computed_at  timestamptz NOT NULL,
    published_at timestamptz,
    units        integer NOT NULL,
    orders       integer NOT NULL,
    PRIMARY KEY (period, profile, version)
);

INSERT INTO score_runs (period, profile, version, scheme, as_of, computed_at, units, orders)
    SELECT period, scheme, 1, scheme, max(computed_at), max(computed_at), count(*), 0 FROM unit_scores GROUP BY period, scheme;

ALTER TABLE unit_scores
    ADD COLUMN profile text,
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN figures jsonb NOT NULL DEFAULT '[]';
UPDATE unit_scores SET profile = scheme;
ALTER TABLE unit_scores ALTER COLUMN profile SET NOT NULL;
ALTER TABLE unit_scores DROP CONSTRAINT unit_scores_pkey;
ALTER TABLE unit_scores ADD PRIMARY KEY (period, profile, version, unit_id);
ALTER TABLE unit_scores ADD CONSTRAINT unit_scores_run FOREIGN KEY (period, profile, version)
    REFERENCES score_runs (period, profile, version) ON DELETE CASCADE;

-- The scoring aggregation reads a period's lead assignments by dispatch time.
CREATE INDEX assignments_lead_dispatched ON assignments (dispatched_at) WHERE role = 'lead';

-- Intake and routing (issue 6): what the work order needs beyond 0001 to be read back into the
-- domain's WorkOrder, plus natural keys for reference data so seeding is idempotent.

-- Reference data gets stable names, so `hotlinectl seed` can upsert.
ALTER TABLE routing_rules ADD COLUMN name text;
CREATE UNIQUE INDEX routing_rules_name ON routing_rules (name) WHERE name IS NOT NULL;
-- An urgency the rule is limited to (e.g. majorOutage), or NULL for any.
ALTER TABLE routing_rules ADD COLUMN urgency text;
ALTER TABLE kb_entries ADD COLUMN code text;
CREATE UNIQUE INDEX kb_entries_code ON kb_entries (code) WHERE code IS NOT NULL;

ALTER TABLE work_orders
    ADD COLUMN redo_count integer NOT NULL DEFAULT 0,
    ADD COLUMN rating text,
    -- SimHash of the normalised content (near-duplicate detection for repeats and clusters).
    ADD COLUMN fingerprint bigint,
    -- The township / street the address or region code resolved to (locality first).
    ADD COLUMN locality_code text REFERENCES regions (code),
    -- Units that returned this order: routing never dispatches it back to them.
    ADD COLUMN returned_by_unit_ids bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN agent_id text,
    ADD COLUMN kb_entry_id bigint REFERENCES kb_entries (id),
    -- Resolved at intake or not accepted: what the citizen was told.
    ADD COLUMN intake_answer_pii text,
    ADD COLUMN closed_at timestamptz,
    -- Closed under an exempt revisit rule (POLICIES.md §4): later repeats are answered at intake.
    ADD COLUMN exempt_reason text;
CREATE INDEX work_orders_region_recent ON work_orders (locality_code, received_at) WHERE fingerprint IS NOT NULL;
CREATE INDEX work_orders_awaiting ON work_orders (received_at) WHERE state IN ('received', 'awaitingDispatch');

ALTER TABLE assignments
    ADD COLUMN original_limit jsonb,
    ADD COLUMN extensions jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN pending_extension jsonb,
    ADD COLUMN return_rejected boolean NOT NULL DEFAULT false,
    ADD COLUMN active boolean NOT NULL DEFAULT true,
    ADD COLUMN basis text;
CREATE INDEX assignments_active ON assignments (work_order_id) WHERE active;

-- A cluster: the same matter from many citizens in one area. Supervision is raised once.
CREATE TABLE clusters (
    key           text PRIMARY KEY,
    locality_code text REFERENCES regions (code),
    first_order   uuid NOT NULL REFERENCES work_orders (id),
    citizens      integer NOT NULL DEFAULT 1,
    supervised_at timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Order numbers: 12345-YYYYMMDD-NNNNNN (per hotline, a sequence).
CREATE SEQUENCE work_order_numbers;

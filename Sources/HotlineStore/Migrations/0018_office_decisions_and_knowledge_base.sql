-- The workbench's third slice (issue 12, and the office's records of issue 15): the office's
-- decisions after the revisit, supervision with its kind and leader, exclusion with approval, the
-- knowledge base kept by the units, orders marked for it.

-- After a revisit: redo (重办, with one of the profile's redo reasons), exempt (one of its exempt
-- reasons; for those closed on proof, the proof the unit filed) or close. qidong 附件2 一(七).
CREATE TABLE order_revisit_decisions (
    id            bigserial PRIMARY KEY,
    work_order_id uuid NOT NULL REFERENCES work_orders (id),
    decision      text NOT NULL CHECK (decision IN ('redo', 'exempt', 'close')),
    reason        text,
    proof_pii     text,
    note_pii      text,
    decided_by    text NOT NULL,
    decided_at    timestamptz NOT NULL
);
CREATE INDEX order_revisit_decisions_work_order ON order_revisit_decisions (work_order_id, id);

-- Who recorded a rating the office took by phone (source 'phone').
ALTER TABLE ratings ADD COLUMN recorded_by text;

-- 督办 raised by the office: its kind from the profile (pingdingshan 六: 书面, 现场, 重点, 移交), the
-- responsible leader it names, and for on-site supervision when the unit's plan is due.
CREATE TABLE order_supervisions (
    id            bigserial PRIMARY KEY,
    work_order_id uuid NOT NULL REFERENCES work_orders (id),
    kind          text NOT NULL,
    reason        text NOT NULL,
    leader_pii    text,
    note_pii      text,
    plan_due      timestamptz,
    raised_by     text NOT NULL,
    raised_at     timestamptz NOT NULL
);
CREATE INDEX order_supervisions_work_order ON order_supervisions (work_order_id, id);

-- A unit's request to leave an order out of assessment (剔除) with what its profile requires
-- (baotou 四(二)2: the citizen's consent from a home visit, the basis, the principal leader's
-- signature), and the office's decision; an approval also writes order_exclusions (0013).
CREATE TABLE exclusion_requests (
    id                   bigserial PRIMARY KEY,
    work_order_id        uuid NOT NULL REFERENCES work_orders (id),
    unit_id              bigint NOT NULL REFERENCES units (id),
    actor                text NOT NULL,
    basis                text,
    citizen_consented    boolean NOT NULL DEFAULT false,
    leader_signature_pii text,
    requested_at         timestamptz NOT NULL,
    decision             text CHECK (decision IN ('approved', 'rejected')),
    decision_reason      text,
    decided_by           text,
    decided_at           timestamptz
);
CREATE INDEX exclusion_requests_work_order ON exclusion_requests (work_order_id, id);
CREATE INDEX exclusion_requests_open ON exclusion_requests (requested_at) WHERE decision IS NULL;

-- The knowledge base kept through the API: who wrote an entry, its version (optimistic
-- concurrency), retirement (kept, no longer served), and the order it answers (an order marked
-- for the knowledge base, qidong 附件2 二(五)5).
ALTER TABLE kb_entries
    ADD COLUMN created_at    timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN created_by    text,
    ADD COLUMN updated_by    text,
    ADD COLUMN version       integer NOT NULL DEFAULT 1,
    ADD COLUMN retired_at    timestamptz,
    ADD COLUMN work_order_id uuid REFERENCES work_orders (id);
CREATE INDEX kb_entries_unit ON kb_entries (unit_id, id) WHERE retired_at IS NULL;

ALTER TABLE work_orders
    ADD COLUMN kb_marked_at timestamptz,
    ADD COLUMN kb_marked_by text;

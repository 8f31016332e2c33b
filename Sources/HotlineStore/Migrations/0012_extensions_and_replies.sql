-- The HTTP API's second slice (issue 12): what a unit's extension request carries and the
-- office's decision on it, and a unit's reply as a draft until it is reviewed (审核).

-- A unit's extension (延期) request with what its profile requires (qidong 附件2 一(四): 依据、理由、
-- 期限以及与市民解释沟通情况; zezhou 二(三)3(4): 时限、依据和理由; baotou 四(二)2: 诉求人认可、分管
-- 领导审核签字), and the office's decision (pingdingshan 五(六): the office sets the new limit).
-- Written in the same transaction as the order's transition.
CREATE TABLE order_extensions (
    id                   bigserial PRIMARY KEY,
    work_order_id        uuid NOT NULL REFERENCES work_orders (id),
    unit_id              bigint NOT NULL REFERENCES units (id),
    actor                text NOT NULL,
    amount               jsonb NOT NULL,
    reason               text,
    basis                text,
    citizen_informed_pii text,
    citizen_consented    boolean NOT NULL DEFAULT false,
    leader_signature_pii text,
    requested_at         timestamptz NOT NULL,
    decision             text CHECK (decision IN ('approved', 'rejected')),
    granted_amount       jsonb,
    new_reply_by         timestamptz,
    decision_reason      text,
    decided_by           text,
    decided_at           timestamptz
);
CREATE INDEX order_extensions_work_order ON order_extensions (work_order_id, id);

-- A unit's reply (办结/答复): a draft the unit edits until a person of the unit marks it reviewed
-- (审核); the review submits it (the order's `replied` transition and `workorder.replied`, qidong
-- 附件2 一(五)4). The contact record (phone answered: with whom, when, what the citizen said, 一(五)3)
-- is part of it. One open draft per order and unit; reviewed replies are kept.
CREATE TABLE order_replies (
    id                    bigserial PRIMARY KEY,
    work_order_id         uuid NOT NULL REFERENCES work_orders (id),
    unit_id               bigint NOT NULL REFERENCES units (id),
    text_pii              text NOT NULL,
    contacted_citizen     boolean NOT NULL,
    contact_person_pii    text,
    contacted_at          timestamptz,
    citizen_said_pii      text,
    drafted_by            text NOT NULL,
    drafted_at            timestamptz NOT NULL,
    reviewed_by           text,
    reviewed_at           timestamptz,
    CHECK ((reviewed_by IS NULL) = (reviewed_at IS NULL))
);
CREATE UNIQUE INDEX order_replies_one_draft ON order_replies (work_order_id, unit_id) WHERE reviewed_at IS NULL;
CREATE INDEX order_replies_work_order ON order_replies (work_order_id, id);

-- The three-level network (pingdingshan 一(四); POLICIES.md §11): a level-2 lead unit hands
-- the order down to one of its level-3 units (an assignment of role `sub`, naming the level-2 unit
-- it came through); the level-3 unit replies to that unit (`order_replies.to_unit_id`), and the
-- level-2 unit stays responsible to the hotline: it reviews and replies.
ALTER TABLE assignments DROP CONSTRAINT assignments_role_check;
ALTER TABLE assignments ADD CONSTRAINT assignments_role_check CHECK (role IN ('lead', 'co', 'sub'));
ALTER TABLE assignments ADD COLUMN via_unit_id bigint REFERENCES units (id);
ALTER TABLE assignments ADD CONSTRAINT assignments_sub_via CHECK ((role = 'sub') = (via_unit_id IS NOT NULL));
ALTER TABLE order_replies ADD COLUMN to_unit_id bigint REFERENCES units (id);

-- A unit's progress feedback (反馈) short of the final reply: baotou 四(二)2 办结或反馈 and
-- pingdingshan 四 C类 (回复前期处理情况及办理计划) take one within the limit as meeting it; henan's
-- major outages owe a first feedback within 2 hours after signing (签收后2个小时内反馈初步办理意见):
-- when the profile sets one, its due time and whether this feedback met it are kept.
CREATE TABLE order_feedback (
    id                   bigserial PRIMARY KEY,
    work_order_id        uuid NOT NULL REFERENCES work_orders (id),
    unit_id              bigint NOT NULL REFERENCES units (id),
    actor                text NOT NULL,
    text_pii             text NOT NULL,
    plan_pii             text,
    satisfies_reply_limit boolean NOT NULL,
    first_feedback_due   timestamptz,
    given_at             timestamptz NOT NULL
);
CREATE INDEX order_feedback_work_order ON order_feedback (work_order_id, id);

-- A co-unit's contribution (会办) to the lead unit: what it did or found, for the lead's reply
-- (qidong 附件2 三(三): 首接成员单位要牵头组织……各相关部门要密切配合, 提出解决办法).
CREATE TABLE order_contributions (
    id            bigserial PRIMARY KEY,
    work_order_id uuid NOT NULL REFERENCES work_orders (id),
    unit_id       bigint NOT NULL REFERENCES units (id),
    to_unit_id    bigint NOT NULL REFERENCES units (id),
    actor         text NOT NULL,
    text_pii      text NOT NULL,
    given_at      timestamptz NOT NULL
);
CREATE INDEX order_contributions_work_order ON order_contributions (work_order_id, id);

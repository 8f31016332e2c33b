-- The HTTP API (issue 12): who may call it, retried POSTs acting once, and what a unit's return
-- carries.

-- A bearer token belongs to one person, of one unit or of the hotline office. Only the token's
-- SHA-256 is kept (the token itself is printed once, when issued); the person's name is personal
-- data. A token is valid while it has not expired and was not revoked.
CREATE TABLE api_tokens (
    id              bigserial PRIMARY KEY,
    token_hash      bytea NOT NULL UNIQUE,
    role            text NOT NULL CHECK (role IN ('unit', 'office')),
    unit_id         bigint REFERENCES units (id),
    person_name_pii text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    CHECK ((role = 'unit') = (unit_id IS NOT NULL))
);

-- A POST with an Idempotency-Key acts once per token: the first answer is kept (in the action's
-- own transaction) and a retry with the same key gets it again. A retry that is not the same
-- request (another route or body) is refused.
CREATE TABLE api_idempotency_keys (
    token_id     bigint NOT NULL REFERENCES api_tokens (id),
    key          text NOT NULL,
    request      text NOT NULL,
    request_hash bytea NOT NULL,
    status       integer NOT NULL,
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, key)
);
CREATE INDEX api_idempotency_keys_created ON api_idempotency_keys (created_at);

-- A unit's return (退件) with what its profile requires (qidong 附件2 一(二): reason, re-dispatch
-- suggestion, basis, the unit leader's opinion; zezhou 二(二)5: reason and basis), and the
-- office's decision. Written in the same transaction as the order's transition.
CREATE TABLE order_returns (
    id                    bigserial PRIMARY KEY,
    work_order_id         uuid NOT NULL REFERENCES work_orders (id),
    unit_id               bigint NOT NULL REFERENCES units (id),
    actor                 text NOT NULL,
    reason                text,
    redispatch_suggestion text,
    basis                 text,
    leader_opinion        text,
    requested_at          timestamptz NOT NULL,
    decision              text CHECK (decision IN ('approved', 'rejected')),
    decision_reason       text,
    decided_by            text,
    decided_at            timestamptz
);
CREATE INDEX order_returns_work_order ON order_returns (work_order_id, id);
-- "My orders": a unit's active assignments.
CREATE INDEX assignments_unit_active ON assignments (unit_id, work_order_id) WHERE active;

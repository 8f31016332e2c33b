-- Hotline's system of record. Columns that hold personal data end in _pii: they are never
-- logged, and exports mask them.

-- The three-level network (pingdingshan 一(四)): level 1 the hotline office, level 2 counties,
-- departments and key enterprises, level 3 their subordinate units.
CREATE TABLE regions (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('province', 'city', 'county', 'township', 'street', 'village', 'community')),
    parent_code text REFERENCES regions (code)
);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE units (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    level       smallint NOT NULL CHECK (level IN (1, 2, 3)),
    parent_id   bigint REFERENCES units (id),
    kind        text NOT NULL CHECK (kind IN ('office', 'government', 'department', 'enterprise')),
    region_code text REFERENCES regions (code),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX units_parent ON units (parent_id);

CREATE TABLE work_orders (
    id                 uuid PRIMARY KEY,
    number             text NOT NULL UNIQUE,
    profile            text NOT NULL,
    channel            text NOT NULL,
    submission_id      text NOT NULL,
    state              text NOT NULL,
    category           text NOT NULL,
    urgency            text,
    class              text CHECK (class IN ('A', 'B', 'C', 'D')),
    confidential       boolean NOT NULL DEFAULT false,
    title              text NOT NULL,
    content_pii        text NOT NULL,
    citizen_name_pii   text,
    citizen_phone_pii  text,
    address_pii        text,
    region_code        text REFERENCES regions (code),
    received_at        timestamptz NOT NULL,
    dispatch_by        timestamptz,
    lead_unit_id       bigint REFERENCES units (id),
    returns_count      integer NOT NULL DEFAULT 0,
    supervised         boolean NOT NULL DEFAULT false,
    supervision_reason text,
    repeat_of          uuid REFERENCES work_orders (id),
    cluster_key        text,
    not_accepted_reason text,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, submission_id)
);
CREATE INDEX work_orders_state ON work_orders (state, received_at);
CREATE INDEX work_orders_phone ON work_orders (citizen_phone_pii, received_at);
CREATE INDEX work_orders_cluster ON work_orders (cluster_key, received_at) WHERE cluster_key IS NOT NULL;

CREATE TABLE assignments (
    id                     bigserial PRIMARY KEY,
    work_order_id          uuid NOT NULL REFERENCES work_orders (id),
    unit_id                bigint NOT NULL REFERENCES units (id),
    role                   text NOT NULL CHECK (role IN ('lead', 'co')),
    state                  text NOT NULL,
    dispatched_at          timestamptz NOT NULL,
    sign_by                timestamptz,
    signed_at              timestamptz,
    return_window_ends_at  timestamptz,
    reply_by               timestamptz,
    replied_at             timestamptz,
    reply_text_pii         text,
    returns_count          integer NOT NULL DEFAULT 0,
    extensions_count       integer NOT NULL DEFAULT 0,
    redo_count             integer NOT NULL DEFAULT 0,
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assignments_work_order ON assignments (work_order_id);
CREATE INDEX assignments_unit_state ON assignments (unit_id, state);

-- The archive (档案): append-only. Updates and deletes are refused by a trigger.
CREATE TABLE events (
    id            bigserial PRIMARY KEY,
    work_order_id uuid NOT NULL REFERENCES work_orders (id),
    assignment_id bigint REFERENCES assignments (id),
    type          text NOT NULL,
    occurred_at   timestamptz NOT NULL,
    actor         text,
    data          jsonb NOT NULL DEFAULT '{}',
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_work_order ON events (work_order_id, id);

CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only' USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();

-- Outgoing messages, written in the same transaction as the facts they announce. A relay claims
-- unpublished rows with FOR UPDATE SKIP LOCKED; no relay keeps a "last seen id".
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    message_id   uuid NOT NULL UNIQUE,
    exchange     text NOT NULL,
    routing_key  text NOT NULL,
    type         text NOT NULL,
    body         bytea NOT NULL,
    headers      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hotline_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_wake_relays AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Message ids each consumer has applied: a redelivered message changes nothing.
CREATE TABLE inbox (
    consumer    text NOT NULL,
    message_id  text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX inbox_received ON inbox (received_at);

-- Messages a consumer parked: undecodable, invalid, or out of retries. `hotlinectl dlq` reads these.
CREATE TABLE parked_messages (
    id          bigserial PRIMARY KEY,
    consumer    text NOT NULL,
    message_id  text,
    type        text,
    reason      text NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    headers     jsonb NOT NULL DEFAULT '{}',
    body_pii    bytea NOT NULL,
    parked_at   timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz,
    purged_at   timestamptz
);
CREATE INDEX parked_messages_open ON parked_messages (consumer, parked_at) WHERE replayed_at IS NULL AND purged_at IS NULL;

CREATE TABLE timers (
    id            bigserial PRIMARY KEY,
    work_order_id uuid NOT NULL REFERENCES work_orders (id),
    assignment_id bigint REFERENCES assignments (id),
    kind          text NOT NULL,
    fire_at       timestamptz NOT NULL,
    fired_at      timestamptz,
    cancelled_at  timestamptz,
    data          jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX timers_due ON timers (fire_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX timers_work_order ON timers (work_order_id);

CREATE TABLE sms_messages (
    id              bigserial PRIMARY KEY,
    work_order_id   uuid REFERENCES work_orders (id),
    assignment_id   bigint REFERENCES assignments (id),
    direction       text NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    phone_pii       text NOT NULL,
    body_pii        text NOT NULL,
    status          text NOT NULL,
    gateway_id      text,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_messages_pending ON sms_messages (next_attempt_at) WHERE status IN ('queued', 'retrying');
CREATE INDEX sms_messages_work_order ON sms_messages (work_order_id);

CREATE TABLE ratings (
    id            bigserial PRIMARY KEY,
    work_order_id uuid NOT NULL REFERENCES work_orders (id),
    assignment_id bigint REFERENCES assignments (id),
    rating        text NOT NULL CHECK (rating IN ('satisfied', 'basically_satisfied', 'dissatisfied', 'unknown')),
    source        text NOT NULL CHECK (source IN ('sms', 'phone', 'web')),
    raw_reply_pii text,
    rated_at      timestamptz NOT NULL
);
CREATE INDEX ratings_work_order ON ratings (work_order_id);

CREATE TABLE routing_rules (
    id           bigserial PRIMARY KEY,
    priority     integer NOT NULL DEFAULT 100,
    category     text,
    keywords     text[] NOT NULL DEFAULT '{}',
    region_code  text REFERENCES regions (code),
    unit_id      bigint NOT NULL REFERENCES units (id),
    co_unit_ids  bigint[] NOT NULL DEFAULT '{}',
    from_unit_id bigint REFERENCES units (id),
    active       boolean NOT NULL DEFAULT true
);
CREATE INDEX routing_rules_active ON routing_rules (priority) WHERE active;

CREATE TABLE kb_entries (
    id          bigserial PRIMARY KEY,
    unit_id     bigint REFERENCES units (id),
    kind        text NOT NULL CHECK (kind IN ('organisation', 'law', 'qa', 'service_guide', 'public_info', 'contact')),
    question    text NOT NULL,
    answer      text NOT NULL,
    keywords    text[] NOT NULL DEFAULT '{}',
    valid_until date,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The State Council's arrangement as loaded by an operator (holidays and make-up working days).
CREATE TABLE calendar_days (
    day            date PRIMARY KEY,
    is_working_day boolean NOT NULL,
    note           text,
    loaded_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE unit_scores (
    unit_id     bigint NOT NULL REFERENCES units (id),
    period      text NOT NULL,
    scheme      text NOT NULL,
    score       numeric(7, 2),
    rank        integer,
    flagged     boolean NOT NULL DEFAULT false,
    details     jsonb NOT NULL DEFAULT '{}',
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, period, scheme)
);

-- Submissions that failed validation, stored with their reasons and answered (never dropped).
CREATE TABLE rejected_submissions (
    id            bigserial PRIMARY KEY,
    channel       text,
    submission_id text,
    message_id    text,
    reasons       jsonb NOT NULL,
    payload_pii   bytea NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX rejected_submissions_message ON rejected_submissions (message_id) WHERE message_id IS NOT NULL;

-- One open row per parked message and consumer: a redelivered failure does not park twice.
CREATE UNIQUE INDEX parked_messages_once ON parked_messages (consumer, message_id)
    WHERE replayed_at IS NULL AND purged_at IS NULL AND message_id IS NOT NULL;

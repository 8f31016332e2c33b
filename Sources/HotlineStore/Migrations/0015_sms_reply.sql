-- hotline-sms-reply (issue 14): reply SMS through a gateway, delivery reports, citizens' answers,
-- opt-outs and the office's phone-revisit queue. Personal data in columns ending in _pii.

ALTER TABLE sms_messages
    -- One SMS per reviewed reply: the consumed event's message id (a redelivery writes nothing).
    ADD COLUMN message_key      text UNIQUE,
    -- The gateway adapter that took it ('kannel', 'http-json').
    ADD COLUMN gateway          text,
    ADD COLUMN segments         integer,
    -- Quiet hours do not hold an emergency's SMS.
    ADD COLUMN urgent           boolean NOT NULL DEFAULT false,
    ADD COLUMN last_error       text,
    ADD COLUMN sent_at          timestamptz,
    ADD COLUMN delivered_at     timestamptz,
    -- Inbound: what the answer was read as (rating, optOut, unclear, unmatched) and the outbound
    -- revisit SMS it answers.
    ADD COLUMN interpretation   text,
    ADD COLUMN reply_to         bigint REFERENCES sms_messages (id),
    ADD COLUMN rating           text,
    -- Inbound: the gateway's own time of receipt, as Kannel gives it (%t).
    ADD COLUMN gateway_time     text,
    -- Unclear answers and unmatched replies the revisit staff have looked at.
    ADD COLUMN handled_at       timestamptz;

-- (The sender's claim uses 0001's sms_messages_pending (next_attempt_at) over queued and retrying.)
-- A phone's latest revisit SMS (matching an answer), and a phone's messages for the log.
CREATE INDEX sms_messages_phone ON sms_messages (phone_pii, created_at DESC);
-- The revisit staff's list of answers to look at.
CREATE INDEX sms_messages_to_look_at ON sms_messages (created_at)
    WHERE direction = 'inbound' AND interpretation IN ('unclear', 'unmatched') AND handled_at IS NULL;

-- Every delivery report as it came, matched to our message or not (the fault test counts them).
CREATE TABLE sms_delivery_reports (
    id             bigserial PRIMARY KEY,
    sms_message_id bigint REFERENCES sms_messages (id),
    -- The id the report named (our message id in the dlr-url), kept when it matched nothing.
    named_id       text NOT NULL,
    -- Kannel's %d: 1 delivered, 2 failed, 4 buffered, 8 accepted by the SMS centre, 16 rejected.
    status         integer NOT NULL,
    received_at    timestamptz NOT NULL
);
CREATE INDEX sms_delivery_reports_message ON sms_delivery_reports (sms_message_id);

-- 退订: phones that asked for no more SMS.
CREATE TABLE sms_opt_outs (
    phone_pii      text PRIMARY KEY,
    sms_message_id bigint REFERENCES sms_messages (id),
    opted_out_at   timestamptz NOT NULL
);

-- The office's phone-revisit queue: orders whose citizen the revisit staff must phone (the SMS
-- could not be sent, the citizen opted out or has no mobile, or did not answer in time).
CREATE TABLE phone_revisits (
    id             bigserial PRIMARY KEY,
    work_order_id  uuid NOT NULL REFERENCES work_orders (id),
    reason         text NOT NULL CHECK (reason IN ('smsFailed', 'optedOut', 'noPhone', 'revisitUnanswered')),
    sms_message_id bigint REFERENCES sms_messages (id),
    queued_at      timestamptz NOT NULL,
    done_at        timestamptz,
    UNIQUE (work_order_id, reason, sms_message_id)
);
CREATE INDEX phone_revisits_open ON phone_revisits (queued_at) WHERE done_at IS NULL;

-- Messages a sender claimed and did not record (it crashed while sending): settled by their
-- delivery report, or sent again after a grace period.
CREATE INDEX sms_messages_in_doubt ON sms_messages (updated_at) WHERE status = 'sending';

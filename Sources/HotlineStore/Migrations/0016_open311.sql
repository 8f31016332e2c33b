-- Open311 GeoReport v2 (issue 16): the hotline's web and app channels speak the civic-request
-- standard through hotline-api.

-- An Open311 API key is an API token of its own role: stored as a SHA-256 only, expiring,
-- revocable, like the workbench's (0011), so its retried POSTs reuse `api_idempotency_keys`. It
-- names the client (a website, an app: `person_name_pii` holds whom it was issued to), the
-- channel its requests come in by, and how many requests a minute it may make.
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('unit', 'office', 'open311'));
ALTER TABLE api_tokens ADD COLUMN open311_channel text;
ALTER TABLE api_tokens ADD COLUMN open311_per_minute integer CHECK (open311_per_minute > 0);
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_open311 CHECK (
    (role = 'open311') = (open311_channel IS NOT NULL AND open311_per_minute IS NOT NULL));

-- A POSTed service request, recorded in the transaction that puts its submission in the outbox.
-- `token` is what the client gets back while intake has not answered; the order is found by
-- (channel, submission_id), as intake keys it. The position is kept as the client sent it.
CREATE TABLE open311_requests (
    token         uuid PRIMARY KEY,
    key_id        bigint NOT NULL REFERENCES api_tokens (id),
    channel       text NOT NULL,
    submission_id text NOT NULL,
    service_code  text NOT NULL,
    lat           double precision,
    long          double precision,
    media_url     text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, submission_id)
);

-- `GET requests` reads the newest orders of the last 90 days (every channel's) a page at a time:
-- a backward scan of this index stops at the page's end instead of sorting the whole window.
CREATE INDEX IF NOT EXISTS work_orders_by_received_at ON work_orders (received_at);

-- Requests per key and minute (the per-key rate limit, shared by every API replica).
CREATE TABLE open311_key_minutes (
    key_id   bigint NOT NULL REFERENCES api_tokens (id),
    minute   timestamptz NOT NULL,
    requests integer NOT NULL,
    PRIMARY KEY (key_id, minute)
);

-- Where gazetteer places are (WGS 84), so that an Open311 request's lat/long finds its place: the
-- nearest place within `radius_m` of the point. No foreign key: a place's position may be loaded
-- before its region. The positions of the demo county 石桥县 (a made-up county) are ours.
CREATE TABLE region_positions (
    code     text PRIMARY KEY,
    lat      double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    long     double precision NOT NULL CHECK (long BETWEEN -180 AND 180),
    radius_m integer NOT NULL CHECK (radius_m > 0)
);
INSERT INTO region_positions (code, lat, long, radius_m) VALUES
    ('439999001001', 27.7312, 111.9950, 600),   -- 城关街道 人民路社区
    ('439999001002', 27.7350, 112.0010, 600),   -- 城关街道 解放路社区
    ('439999001003', 27.7280, 112.0060, 600),   -- 城关街道 文昌阁社区
    ('439999001', 27.7320, 112.0000, 2500),     -- 城关街道
    ('439999002001', 27.7400, 112.0300, 700),   -- 东城街道 东湖社区
    ('439999002', 27.7420, 112.0250, 3000),     -- 东城街道
    ('439999101', 27.6800, 111.9500, 5000),     -- 石桥镇
    ('439999102', 27.7900, 111.9100, 5000),     -- 白沙镇
    ('439999103', 27.6500, 112.0800, 5000),     -- 龙口镇
    ('439999104', 27.8300, 112.0500, 5000),     -- 青山乡
    ('439999105', 27.7000, 111.8600, 5000),     -- 河西乡
    ('439999106', 27.6200, 111.9900, 5000);     -- 双井镇

-- A cluster's members, one row per order (its key and phone), so that joining a cluster and
-- counting its citizens cost the same however large it grows, and no earlier order's row is
-- locked (routing may be dispatching it at that moment).
CREATE TABLE cluster_members (
    key       text NOT NULL REFERENCES clusters (key),
    order_id  uuid NOT NULL,
    phone_pii text,
    PRIMARY KEY (key, order_id)
);
CREATE INDEX cluster_members_order ON cluster_members (order_id);
CREATE INDEX cluster_members_phone ON cluster_members (key, phone_pii);

-- Two intake lanes joining the same cluster at once must not wait for each other's batch to
-- commit (measured: with 2 lanes, inserts into `clusters` and `cluster_members` waited up to 2 s on
-- the other lane's uncommitted rows, and 2 lanes ran slower than 1). So:
-- * membership rows have no unique key: the same (key, order) twice is harmless, since citizens
--   are counted as distinct phones and an order's cluster is any of its rows;
-- * `clusters` gets its row when the cluster tips into supervision, not when it starts, so the
--   only place two lanes can meet on a row is the tipping itself, once per cluster.
ALTER TABLE cluster_members DROP CONSTRAINT cluster_members_pkey;
ALTER TABLE cluster_members DROP CONSTRAINT cluster_members_key_fkey;

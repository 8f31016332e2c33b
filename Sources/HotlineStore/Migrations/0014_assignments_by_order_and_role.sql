-- Routing reads an order's active assignment of a role on every dispatch
-- (`WHERE work_order_id = $1 AND active AND role = $2`). Beside 0011's (unit_id, work_order_id)
-- WHERE active, a plan made while the table was young took that unit index and read all of it:
-- 0.198 ms a dispatch against 0.002 before 0011 (pg_stat_statements over
-- `hotlinectl bench pipeline --count 10000 --lanes 1`). An index keyed by both equality columns is
-- the better match whatever the statistics say.
CREATE INDEX assignments_active_role ON assignments (work_order_id, role) WHERE active;
DROP INDEX assignments_active;

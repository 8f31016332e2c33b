import PostgresClient

/// The rows a batched lookup reads its keys from: parallel text columns, one row per key.
///
/// Several keys travel as arrays (`unnest($1::text[], $2::text[]) AS k(a, b)`); a single key
/// travels as plain parameters (`(VALUES ($1::text, $2::text)) AS k(a, b)`). The two spellings
/// answer alike; they differ in how PostgreSQL caches the prepared statement. In a generic plan
/// it cannot know an array parameter's length (it assumes 10 elements) and in a custom plan it
/// can, so a statement over `unnest` looks cheaper planned anew with its values every time, and
/// is: intake's lookups, which the handler makes one submission at a time, were re-planned on
/// every call, 1.9 s of planning for 5,000 orders against 0.3 s before they were batched
/// (pg_stat_statements with `track_planning` over `hotlinectl bench pipeline --count 5000
/// --lanes 1`). Over `VALUES` the generic plan costs what the custom one does and is kept.
enum KeyRows {
    /// `columns` are parallel (one array per column, all of one length, at least one key);
    /// `alias` names the relation and its columns, e.g. `k(channel, submission_id)`. With
    /// `ordinality`, one more column (the last name in `alias`) numbers the rows from 1 (bigint).
    static func text(_ columns: [[String]], as alias: String, ordinality: Bool = false) -> SQL {
        precondition(!columns.isEmpty && columns.allSatisfy { $0.count == columns[0].count && !$0.isEmpty },
                     "parallel key columns of one non-zero length")
        var sql: SQL
        if columns[0].count == 1 {
            sql = "(VALUES ("
            for (index, column) in columns.enumerated() {
                if index > 0 { sql.append(", ") }
                sql.append("\(column[0])::text")
            }
            sql.append(ordinality ? ", 1::int8)) AS " : ")) AS ")
        } else {
            sql = "unnest("
            for (index, column) in columns.enumerated() {
                if index > 0 { sql.append(", ") }
                sql.append("\(column)::text[]")
            }
            sql.append(ordinality ? ") WITH ORDINALITY AS " : ") AS ")
        }
        sql.append(SQL(unsafeSQL: alias))
        return sql
    }

    /// `= $1` for one value, `= ANY($1)` for several: the same choice for a list compared with
    /// `ANY` (a generic plan assumes 10 elements there too).
    static func equalsAny(_ values: [String]) -> SQL {
        precondition(!values.isEmpty, "at least one value")
        return values.count == 1 ? "= \(values[0])" : "= ANY(\(values))"
    }
}

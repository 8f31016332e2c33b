/// Fault helpers for the local PostgreSQL server.
public enum PostgresServer {
    /// `ops/services restart pg` (`pg_ctl restart -m immediate`), waiting for it to finish.
    public static func restartImmediately() throws {
        try Shell.services("restart", "pg")
    }
}

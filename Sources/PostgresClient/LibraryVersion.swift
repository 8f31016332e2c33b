import CLibPQ

public enum LibPQ {
    /// libpq's version as `major.minor` (e.g. `15.18`).
    public static var version: String {
        let number = Int(PQlibVersion())
        return "\(number / 10_000).\(number % 10_000)"
    }
}

import PostgresClient
import Testing

@Suite struct LinkedLibraryTests {
    /// The package links Debian 12's libpq 15, the version whose pitfalls ARCHITECTURE.md lists.
    @Test func linksLibpq15() {
        #expect(LibPQ.version.hasPrefix("15."))
    }
}

import Testing
@testable import HotlineDomain

@Suite struct ModuleTests {
    @Test func domainModuleLoads() {
        #expect(String(describing: HotlineDomain.self) == "HotlineDomain")
    }
}

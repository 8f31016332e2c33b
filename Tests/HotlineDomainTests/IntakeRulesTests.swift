import Foundation
import Testing
@testable import HotlineDomain

/// Intake's windows, scan limits and cluster counting are profile data, each with its basis.
@Suite struct IntakeRulesTests {
    @Test func qidongCountsPersonTimesAndTheOthersCitizens() throws {
        let qidong = profile("qidong").intake
        #expect(qidong.clusterThreshold == 10)
        #expect(qidong.clusterCounting.rule == .personTimes)
        #expect(qidong.clusterCounting.basis.contains("同一事项10人次以上集中反映的诉求"))
        for id in ["baotou", "zezhou", "pingdingshan", "henan"] {
            #expect(profile(id).intake.clusterCounting.rule == .distinctCitizens, "\(id)")
            #expect(profile(id).intake.clusterCounting.basis.contains("project's choice"), "\(id)")
        }
    }

    @Test func theWindowsAndScanLimitsAreTheProjectsChoiceInEveryProfile() throws {
        for profile in try PolicyProfile.allBundled() {
            let intake = profile.intake
            #expect(intake.windows.repeatRequest.naturalSeconds == TimeInterval(30 * 86_400), "\(profile.id)")
            #expect(intake.windows.cluster.naturalSeconds == TimeInterval(72 * 3_600), "\(profile.id)")
            #expect(intake.windows.exemptRepeat.naturalSeconds == TimeInterval(365 * 86_400), "\(profile.id)")
            #expect(intake.windows.basis.contains("project's choice"), "\(profile.id)")
            #expect(intake.scan == IntakeScan(repeatCandidates: 50, exemptRepeatCandidates: 20, clusterPlaceOrders: 200,
                                              clusterCandidates: 20, basis: intake.scan.basis), "\(profile.id)")
            #expect(intake.scan.basis.contains("project's choice"), "\(profile.id)")
        }
    }

    /// The problem loading qidong reports after `edit` of its intake rules.
    func loadError(_ edit: (inout [String: Any]) -> Void) throws -> DataFileError? {
        try profileLoadError { json in
            var intake = json["intake"] as! [String: Any]
            edit(&intake)
            json["intake"] = intake
        }
    }

    @Test func badIntakeRulesAreRejectedWithTheirKeyPath() throws {
        let workingDays = try #require(try loadError { intake in
            var windows = intake["windows"] as! [String: Any]
            windows["cluster"] = ["amount": 3, "unit": "workingDays"]
            intake["windows"] = windows
        })
        #expect(workingDays.keyPath == "intake.windows.cluster")
        let counting = try #require(try loadError { intake in intake["clusterCounting"] = ["rule": "people", "basis": "x"] })
        #expect(counting.keyPath.hasPrefix("intake.clusterCounting"))
        let scan = try #require(try loadError { intake in
            var scan = intake["scan"] as! [String: Any]
            scan["clusterCandidates"] = 500
            intake["scan"] = scan
        })
        #expect(scan.keyPath == "intake.scan.clusterCandidates")
        let missing = try #require(try loadError { intake in intake.removeValue(forKey: "windows") })
        #expect(missing.keyPath == "intake.windows")
        let typo = try #require(try loadError { intake in intake["clusterTreshold"] = 3 })
        #expect(typo.problem.contains("unknown key"))
        #expect(try loadError { _ in } == nil)
    }
}

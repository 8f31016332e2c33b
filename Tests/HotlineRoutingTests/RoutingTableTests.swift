import Foundation
import HotlineDomain
import HotlineRouting
import HotlineStore
import Testing

@Suite struct RoutingTableTests {
    let table: RoutingTable

    init() throws {
        table = RoutingTable(try ReferenceData.demoCounty())
    }

    private func route(_ title: String, _ content: String, category: Category = .complaint, urgency: Urgency? = nil,
                       region: String? = nil, address: String? = nil, excluding: Set<String> = []) -> RoutingDecision {
        table.decide(RoutingInput(category: category, urgency: urgency, title: title, content: content,
                                  regionCode: region, address: address), excluding: excluding)
    }

    private func lead(_ decision: RoutingDecision) -> String? {
        if case let .dispatch(lead, _, _) = decision { return lead }
        return nil
    }

    @Test func demoCountyValidatesAndHasTheAgreedPlaces() throws {
        let demo = try ReferenceData.demoCounty()
        try demo.validate()
        let names = Dictionary(uniqueKeysWithValues: demo.regions.map { ($0.code, $0.name) })
        #expect(names["439999"] == "石桥县")
        let agreed = ["439999001": "城关街道", "439999002": "东城街道", "439999101": "石桥镇", "439999102": "白沙镇",
                      "439999103": "龙口镇", "439999104": "青山乡", "439999105": "河西乡", "439999106": "双井镇"]
        for (code, name) in agreed {
            #expect(names[code] == name)
            let below = demo.regions.filter { $0.parentCode == code }
            #expect((3...5).contains(below.count), "\(name) has \(below.count) villages or communities")
            #expect(below.allSatisfy { $0.code.hasPrefix(code) && $0.code.count == 12 })
        }
        #expect(names["439999001001"] == "人民路社区")
        #expect(names["439999101001"] == "石桥村")
        #expect(demo.units.count >= 30)
        #expect((8...15).contains(demo.kbEntries.count))
        #expect(demo.kbEntries.map(\.code).first == "KB-001")
    }

    @Test func validationNamesTheBrokenEntry() throws {
        var demo = try ReferenceData.demoCounty()
        demo.routingRules[3].coUnits = ["NOPE"]
        #expect { try demo.validate() } throws: { error in
            guard let error = error as? ReferenceDataError else { return false }
            return error.entry.contains("routingRules[3]") && error.problem.contains("NOPE")
        }

        demo = try ReferenceData.demoCounty()
        let index = demo.units.firstIndex { $0.code == "WATER-CG" }!
        demo.units[index].parentCode = "OFFICE"
        #expect { try demo.validate() } throws: { ($0 as? ReferenceDataError)?.entry == "units[\(index)] (WATER-CG)" }

        let json = #"{"regions":[{"code":"1","name":"x","level":"county","parnetCode":"2"}],"units":[],"routingRules":[],"kbEntries":[]}"#
        #expect { try ReferenceData.decode(Data(json.utf8), file: "bad.json") } throws: {
            "\($0)".contains("parnetCode") && "\($0)".contains("bad.json")
        }
    }

    /// POLICIES.md §11 (pingdingshan 一(四)): level 3 receives the order from level 2, which stays
    /// the lead; routing names the level-3 unit for the level-2 unit to hand it down to.
    @Test func waterOutageInChengguanGoesToTheWaterBureauWhichMayHandItToItsWaterStation() {
        let decision = route("停水", "解放路社区从昨天晚上开始停水，到现在还没有来水", region: "439999001002")
        guard case let .dispatch(lead, coUnits, basis) = decision else { Issue.record("\(decision)"); return }
        #expect(lead == "WATER")
        #expect(coUnits.isEmpty)
        #expect(basis.contains("dept-water") && basis.contains("sub-water-439999001") && basis.contains("suggests WATER-CG, for WATER to hand down"))
    }

    @Test func waterOutageInAnEstateBringsHousingAlong() {
        let decision = route("小区停水", "东湖社区锦绣花园小区三天两次停水，物业说不清楚", region: "439999002001")
        #expect(decision == .dispatch(lead: "WATER", coUnits: ["HOUSING"],
                                      basis: "rule water-estate-outage (小区+停水) → WATER · 按规则派单; level 3: rule sub-water-439999002 suggests WATER-CG, for WATER to hand down · 三级网络由二级单位转办"))
    }

    @Test func unpaidWagesGoToHRSS() {
        let decision = route("拖欠工资", "我在县城一家超市上班，老板拖欠工资三个月了", region: "439999")
        guard case let .dispatch(lead, coUnits, _) = decision else { Issue.record("\(decision)"); return }
        #expect(lead == "HRSS")
        #expect(coUnits.isEmpty)
        // Construction wages: housing co-handles.
        #expect(route("欠薪", "工地老板欠薪不还", address: "石桥县龙口镇") ==
                .dispatch(lead: "HRSS", coUnits: ["HOUSING"], basis: "rule hrss-construction-wages (工地+欠薪) → HRSS · 按规则派单"))
    }

    @Test func streetLightInABaishaVillageIsLocal() {
        let decision = route("路灯不亮", "荷叶塘村村口的路灯坏了一个多月，晚上出行很不方便", category: .help, region: "439999102002")
        guard case let .dispatch(lead, coUnits, basis) = decision else { Issue.record("\(decision)"); return }
        #expect(lead == "GOV-439999102")
        #expect(coUnits == ["URBAN"])
        #expect(basis.contains("locality first") && basis.contains("local-439999102") && basis.contains("dept-urban"))
        #expect(basis.contains("属地管理优先"))
        // A purely local matter: no co-unit.
        #expect(route("邻里纠纷", "邻居家在两家交界处堆放杂物，多次协商不成", region: "439999102002")
                == .dispatch(lead: "GOV-439999102", coUnits: [], basis: "rule local-439999102 (邻里纠纷) → GOV-439999102 · 按规则派单"))
    }

    @Test func streetLightInTownIsTheUrbanBureaus() {
        // Streets' local rules leave street lights to the urban-management bureau.
        #expect(lead(route("路灯不亮", "五一路社区门口路灯不亮", region: "439999001005")) == "URBAN")
    }

    @Test func betterPriorityBeatsLocality() {
        // A gas leak (priority 10) is not a local matter, even with a local keyword.
        let decision = route("燃气泄漏", "村道边上的燃气管道漏气，闻到很重的煤气味", category: .help, region: "439999101002")
        #expect(lead(decision) == "GAS")
    }

    @Test func urgencyLimitedRule() {
        let general = route("停电", "龙口村整个村停电了", region: "439999103001")
        #expect(lead(general) == "POWER")
        let major = route("大面积停电", "龙口镇大面积停电", urgency: .majorOutage, region: "439999103")
        guard case let .dispatch(lead, coUnits, basis) = major else { Issue.record("\(major)"); return }
        #expect(lead == "POWER")
        #expect(coUnits == ["EMERGENCY"])
        #expect(basis.contains("power-major-outage") && basis.contains("suggests POWER-LK"))
    }

    @Test func nothingRecognisableIsManual() {
        let decision = route("咨询", "你好，我想问一下这个事情应该找谁", category: .consult)
        guard case let .manual(reason) = decision else { Issue.record("\(decision)"); return }
        #expect(reason.contains("no rule keyword") && reason.contains("no known place"))
        let placed = route("咨询", "你好，我想问一下这个事情应该找谁", category: .consult, region: "439999104")
        guard case let .manual(reason2) = placed else { Issue.record("\(placed)"); return }
        #expect(reason2.contains("439999104"))
        // A township's local keyword outside any known place: no local rule applies.
        let nowhere = route("宅基地", "宅基地纠纷")
        guard case let .manual(reason3) = nowhere else { Issue.record("\(nowhere)"); return }
        #expect(reason3.contains("place is unknown"))
    }

    @Test func excludedUnitsAreNeverChosen() {
        let input = ("路灯不亮", "荷叶塘村村口的路灯坏了一个多月", "439999102002")
        // The township returned it: the department leads.
        let second = route(input.0, input.1, region: input.2, excluding: ["GOV-439999102"])
        guard case let .dispatch(lead, coUnits, basis) = second else { Issue.record("\(second)"); return }
        #expect(lead == "URBAN")
        #expect(coUnits.isEmpty)
        #expect(basis.contains("GOV-439999102"))
        // Both returned it: manual.
        let third = route(input.0, input.1, region: input.2, excluding: ["GOV-439999102", "URBAN"])
        guard case let .manual(reason) = third else { Issue.record("\(third)"); return }
        #expect(reason.contains("returned"))
        // A water station returned it: its company keeps it.
        let water = route("停水", "人民路社区停水", region: "439999001001", excluding: ["WATER-CG"])
        #expect(self.lead(water) == "WATER")
        // A co-unit that returned it is dropped.
        let estate = route("小区停水", "小区停水", region: "439999002001", excluding: ["HOUSING"])
        if case let .dispatch(_, coUnits, _) = estate { #expect(coUnits.isEmpty) } else { Issue.record("\(estate)") }
    }

    @Test func inactiveUnitsAreNeverChosen() throws {
        var demo = try ReferenceData.demoCounty()
        let index = demo.units.firstIndex { $0.code == "HRSS" }!
        demo.units[index].active = false
        let decision = RoutingTable(demo).decide(RoutingInput(category: .complaint, title: "欠薪", content: "老板拖欠工资"),
                                                 excluding: [])
        guard case .manual = decision else { Issue.record("\(decision)"); return }
    }

    @Test func keywordlessRulesAreFallbacks() throws {
        var demo = try ReferenceData.demoCounty()
        demo.routingRules.append(RoutingRuleRecord(name: "zz-qingshan-catch-all", priority: 200, regionCode: "439999104",
                                                   unit: "GOV-439999104"))
        try demo.validate()
        let table = RoutingTable(demo)
        let vague = table.decide(RoutingInput(category: .help, title: "求助", content: "家里出了点事想找人帮忙",
                                              regionCode: "439999104002"), excluding: [])
        #expect(vague == .dispatch(lead: "GOV-439999104", coUnits: [],
                                   basis: "fallback rule zz-qingshan-catch-all (no keyword matched) → GOV-439999104 · 兜底规则派单"))
        // A keyword rule still wins over the fallback, whatever its priority.
        let wages = table.decide(RoutingInput(category: .help, title: "欠薪", content: "老板拖欠工资",
                                              regionCode: "439999104002"), excluding: [])
        #expect(lead(wages) == "HRSS")
    }

    @Test func routingUsesTheAddressWhenThereIsNoRegionCode() {
        let decision = route("路灯坏了", "村里路灯坏了", category: .help, address: "白沙镇茶园村")
        #expect(lead(decision) == "GOV-439999102")
    }

    @Test func knowsItsUnits() {
        #expect(table.unit("WATER-CG")?.parentCode == "WATER")
        #expect(table.unit("NOPE") == nil)
    }
}

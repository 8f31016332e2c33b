import HotlineStore
import Testing

/// The gazetteer of the demo county: where an order is, and whether a region code is ours.
@Suite struct GazetteerTests {
    let gazetteer: Gazetteer

    init() throws {
        gazetteer = Gazetteer(try ReferenceData.demoCounty().regions)
    }

    @Test func localityFromAddressText() {
        #expect(gazetteer.locality(regionCode: nil, address: "石桥县白沙镇荷叶塘村5组") ==
                Locality(county: "439999", township: "439999102", village: "439999102002"))
        // A village alone implies its township and county.
        #expect(gazetteer.locality(regionCode: nil, address: "荷叶塘村村口") ==
                Locality(county: "439999", township: "439999102", village: "439999102002"))
        // 石桥村 (longest match) over the stem 石桥 of 石桥镇.
        #expect(gazetteer.locality(regionCode: nil, address: "石桥村三组") ==
                Locality(county: "439999", township: "439999101", village: "439999101001"))
        // A township by its short name.
        #expect(gazetteer.locality(regionCode: nil, address: "城关迎宾路88号") ==
                Locality(county: "439999", township: "439999001", village: nil))
        #expect(gazetteer.locality(regionCode: nil, address: "石桥县") == Locality(county: "439999"))
        #expect(gazetteer.locality(regionCode: nil, address: "长沙市岳麓区") == Locality())
        #expect(gazetteer.locality(regionCode: nil, address: nil) == Locality())
        // The region code wins; the address refines it within the township only.
        #expect(gazetteer.locality(regionCode: "439999102", address: "新屋村") ==
                Locality(county: "439999", township: "439999102", village: "439999102003"))
        #expect(gazetteer.locality(regionCode: "439999102", address: "龙口村") ==
                Locality(county: "439999", township: "439999102", village: nil))
        #expect(gazetteer.locality(regionCode: "439999106003", address: "白沙镇") ==
                Locality(county: "439999", township: "439999106", village: "439999106003"))
        // A county code is refined by the address; an unknown code is ignored.
        #expect(gazetteer.locality(regionCode: "439999", address: "东城街道高岭村") ==
                Locality(county: "439999", township: "439999002", village: "439999002004"))
        #expect(gazetteer.locality(regionCode: "430000000", address: "青山乡") ==
                Locality(county: "439999", township: "439999104", village: nil))
        // A village named with another township: the named township wins.
        #expect(gazetteer.locality(regionCode: nil, address: "双井镇龙口村") ==
                Locality(county: "439999", township: "439999106", village: nil))
    }

    @Test func answersJurisdiction() {
        #expect(!gazetteer.isEmpty)
        #expect(gazetteer.isOurs(regionCode: "439999"))
        #expect(gazetteer.isOurs(regionCode: "439999106004"))
        #expect(!gazetteer.isOurs(regionCode: "430000"))
        #expect(!gazetteer.isOurs(regionCode: ""))
        #expect(Gazetteer([]).isEmpty)
    }

    @Test func chainsARegionToTheCounty() {
        #expect(gazetteer.chain(from: "439999102002") == ["439999102002", "439999102", "439999"])
        #expect(gazetteer.contains("439999102", "439999102002"))
        #expect(!gazetteer.contains("439999101", "439999102002"))
    }
}

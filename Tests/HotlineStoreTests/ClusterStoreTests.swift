import Foundation
import HotlineDomain
import HotlineStore
import HotlineTestSupport
import PostgresClient
import Testing

/// Clusters in the store: candidates, membership, counting by either rule, tipping once.
@Suite(.serialized) struct ClusterStoreTests {
    // Tuesday 2024-05-07 10:00 China time.
    let now = Date(timeIntervalSince1970: 1_715_047_200)
    let hour: TimeInterval = 3_600
    let place = "439999102002"

    @Test func candidatesAreRecentOrdersOfThePlaceFromOtherPhonesNamingTheSameMatterNewestFirst() throws {
        try StoreDatabase.with { db in
            let water = ["waterOutage"]
            let older = try db.order(phone: "13800000002", at: now.addingTimeInterval(-5 * hour), place: place, topics: water)
            let newer = try db.order(phone: nil, at: now.addingTimeInterval(-1 * hour), place: place, topics: water + ["noise"])
            try db.order(phone: "13800000001", at: now.addingTimeInterval(-2 * hour), place: place, topics: water)  // own phone
            try db.order(phone: "13800000003", at: now.addingTimeInterval(-3 * hour), place: place, topics: ["noise"])  // other matter
            try db.order(phone: "13800000004", at: now.addingTimeInterval(-80 * hour), place: place, topics: water)  // too old
            try db.order(phone: "13800000005", at: now.addingTimeInterval(-1 * hour), place: "439999102003", topics: water)  // elsewhere
            let plain = try db.order(phone: "13800000006", at: now.addingTimeInterval(-4 * hour), place: place, topics: [])
            try db.connection.execute("INSERT INTO cluster_members (key, order_id, phone_pii) VALUES ('k1', \(older), '13800000002')")

            let after = now.addingTimeInterval(-72 * hour)
            let probes = [ClusterProbe(localityCode: place, phonePII: "13800000001", topics: water, receivedAfter: after),
                          ClusterProbe(localityCode: place, phonePII: "13800000001", topics: [], receivedAfter: after),
                          ClusterProbe(localityCode: "439999101001", phonePII: "13800000001", topics: water, receivedAfter: after)]
            let found = try Clusters.candidates(probes, placeOrders: 50, limit: 10, on: db.connection)
            #expect(found.count == 3)
            #expect(found[0].map(\.matter.orderId) == [newer, older])
            #expect(found[0].map(\.clusterKey) == [nil, "k1"])
            #expect(found[1].map(\.matter.orderId) == [plain])
            #expect(found[2].isEmpty)
            // At most `limit` candidates, from at most `placeOrders` newest orders of the place.
            #expect(try Clusters.candidates([probes[0]], placeOrders: 50, limit: 1, on: db.connection)[0].map(\.matter.orderId) == [newer])
            #expect(try Clusters.candidates([probes[0]], placeOrders: 1, limit: 10, on: db.connection)[0].map(\.matter.orderId) == [newer])
            #expect(try Clusters.candidates([probes[1]], placeOrders: 3, limit: 10, on: db.connection)[0].isEmpty)
        }
    }

    /// One citizen calling twice counts twice in person-times (qidong, 同一事项10人次以上), once
    /// in citizens.
    @Test func personTimesCountEveryOrderAndDistinctCitizensEveryPhone() throws {
        try StoreDatabase.with { db in
            let first = try db.order(phone: "13800000001", at: now.addingTimeInterval(-3 * hour), place: place)
            let second = try db.order(phone: "13800000002", at: now.addingTimeInterval(-2 * hour), place: place)
            let again = try db.order(phone: "13800000001", at: now.addingTimeInterval(-1 * hour), place: place)
            let key = first.uuidString
            try Clusters.addMembers([ClusterMember(key: key, orderId: first, phonePII: "13800000001"),
                                     ClusterMember(key: key, orderId: second, phonePII: "13800000002"),
                                     ClusterMember(key: "other", orderId: second, phonePII: "13800000002")], on: db.connection)
            try Clusters.addMembers([ClusterMember(key: key, orderId: again, phonePII: "13800000001"),
                                     // recorded twice (two lanes): still one order
                                     ClusterMember(key: key, orderId: second, phonePII: "13800000002")], on: db.connection)
            #expect(try Clusters.standing(keys: [key, "other", "none"], counting: .personTimes, upTo: 10, on: db.connection)
                    == [key: .counted(3), "other": .counted(1), "none": .counted(0)])
            #expect(try Clusters.standing(keys: [key, "other"], counting: .distinctCitizens, upTo: 10, on: db.connection)
                    == [key: .counted(2), "other": .counted(1)])
            // Counted up to the threshold only.
            #expect(try Clusters.standing(keys: [key], counting: .personTimes, upTo: 2, on: db.connection) == [key: .counted(2)])
            #expect(try db.count("SELECT count(*) FROM cluster_members WHERE key = \(key)") == 4)
        }
    }

    @Test func aClusterTipsOnceAndIsThenSupervised() throws {
        try StoreDatabase.with { db in
            let first = try db.order(phone: "13800000001", at: now, place: place)
            let key = first.uuidString
            #expect(try Clusters.standing(keys: [key], counting: .personTimes, upTo: 10, on: db.connection) == [key: .counted(0)])
            let tipping = TippingCluster(key: key, localityCode: place, firstOrder: first, size: 10)
            let tipped = try db.connection.withTransaction { tx in try Clusters.tip([tipping], at: now, on: tx) }
            #expect(tipped == [key])
            #expect(try Clusters.standing(keys: [key, "nope"], counting: .personTimes, upTo: 10, on: db.connection)
                    == [key: .supervised(since: now), "nope": .counted(0)])
            #expect(try db.count("SELECT citizens::int8 FROM clusters WHERE key = \(key)") == 10)
            let again = try db.connection.withTransaction { tx in
                try Clusters.tip([tipping], at: now.addingTimeInterval(60), on: tx)
            }
            #expect(again.isEmpty)
            #expect(try Clusters.standing(keys: [key], counting: .personTimes, upTo: 10, on: db.connection) == [key: .supervised(since: now)])
        }
    }

    @Test func aClusterAnotherTransactionIsTippingIsLeftToIt() throws {
        try StoreDatabase.with { db in
            let first = try db.order(phone: "13800000001", at: now, place: place)
            let key = first.uuidString
            let other = try PostgresConnection(url: db.connection.url, applicationName: "hotline-tests")
            defer { other.close() }
            let tipping = TippingCluster(key: key, localityCode: place, firstOrder: first, size: 10)
            try other.withTransaction { otherTx in
                #expect(try Clusters.tip([tipping], at: now, on: otherTx) == [key])
                // While the other transaction holds the cluster's lock, this one does not wait.
                let mine = try db.connection.withTransaction { tx in try Clusters.tip([tipping], at: now, on: tx) }
                #expect(mine.isEmpty)
            }
            #expect(try Clusters.standing(keys: [key], counting: .personTimes, upTo: 10, on: db.connection) == [key: .supervised(since: now)])
        }
    }
}

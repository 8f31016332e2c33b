// The gazetteer (区划): where an order is, and whether a region code is this hotline's. Pure: built
// from the `regions` reference data, no I/O once loaded. Intake uses it for the jurisdiction check
// and the order's locality; routing for the place a rule's region is matched against.
//
// Where an order is (`locality`): its region code, walked up the gazetteer; when that says no more
// than a county (or is missing or unknown), the address is searched for names of places within it.
// Full names (白沙镇, 荷叶塘村) and, for townships and streets, the name without its suffix (白沙,
// 城关) count; of overlapping matches the longest wins (石桥村 over 石桥); a village implies its
// township; an ambiguous match (two places of the same name and length) decides nothing.
import Foundation
import PostgresClient

/// Where an order is, as region codes; nil parts are unknown.
public struct Locality: Sendable, Equatable {
    public var county: String?
    /// The township or street.
    public var township: String?
    /// The village or community.
    public var village: String?

    public init(county: String? = nil, township: String? = nil, village: String? = nil) {
        self.county = county
        self.township = township
        self.village = village
    }

    /// The most specific known region.
    public var mostSpecific: String? { village ?? township ?? county }
}

/// A hotline's gazetteer as one value: regions by code, the names (and short names) an address
/// may use, and the questions asked of them.
public struct Gazetteer: Sendable {
    private struct Alias: Sendable {
        var scalars: [Unicode.Scalar]
        var region: String
    }

    private let regions: [String: RegionRecord]
    private let aliases: [Alias]

    public init(_ records: [RegionRecord]) {
        var regions: [String: RegionRecord] = [:]
        for region in records { regions[region.code] = region }
        self.regions = regions
        var aliases: [Alias] = []
        for region in records {
            aliases.append(Alias(scalars: Array(region.name.unicodeScalars), region: region.code))
            if region.level == "township" || region.level == "street" {
                for suffix in ["街道", "镇", "乡"] where region.name.hasSuffix(suffix) {
                    let stem = String(region.name.dropLast(suffix.count))
                    if stem.count >= 2 { aliases.append(Alias(scalars: Array(stem.unicodeScalars), region: region.code)) }
                    break
                }
            }
        }
        self.aliases = aliases
    }

    /// Reads the `regions` table only (no units, rules or knowledge base).
    public static func load(on connection: PostgresConnection) throws -> Gazetteer {
        Gazetteer(try ReferenceData.loadRegions(on: connection))
    }

    /// False until a gazetteer is loaded (`hotlinectl seed`): intake then checks no jurisdiction.
    public var isEmpty: Bool { regions.isEmpty }

    /// Whether a region code is in this hotline's gazetteer ("is this ours").
    public func isOurs(regionCode: String) -> Bool { regions[regionCode] != nil }

    public func region(_ code: String) -> RegionRecord? { regions[code] }

    /// Whether `code` lies in `ancestor` or is it.
    public func contains(_ ancestor: String, _ code: String) -> Bool {
        code == ancestor || isWithin(code, ancestor)
    }

    /// `code` and every region it lies in, most specific first.
    public func chain(from code: String) -> [String] {
        var chain: [String] = []
        var seen: Set<String> = []
        var current: String? = code
        while let next = current, seen.insert(next).inserted {
            chain.append(next)
            current = regions[next]?.parentCode
        }
        return chain
    }

    /// The township/street (and village) an order is in: from its region code (walking up the
    /// parents), else from names of the gazetteer found in the address (longest match wins; a
    /// village name implies its township). nil parts when unknown.
    public func locality(regionCode: String?, address: String?) -> Locality {
        var locality = Locality()
        let base = regionCode.flatMap { regions[$0] }
        if let base { fill(&locality, from: base.code) }
        if locality.township == nil, let address, !address.isEmpty,
           let found = place(in: address, within: base?.code) {
            fill(&locality, from: found)
        } else if locality.township != nil, locality.village == nil, let address, !address.isEmpty,
                  let found = place(in: address, within: locality.township), found != locality.township {
            fill(&locality, from: found)
        }
        return locality
    }

    private func fill(_ locality: inout Locality, from code: String) {
        var current = regions[code]
        var steps = 0
        while let region = current, steps < 16 {
            switch region.level {
            case "village", "community": if locality.village == nil { locality.village = region.code }
            case "township", "street": if locality.township == nil { locality.township = region.code }
            case "county": if locality.county == nil { locality.county = region.code }
            default: break
            }
            current = region.parentCode.flatMap { regions[$0] }
            steps += 1
        }
    }

    private func isWithin(_ code: String, _ ancestor: String) -> Bool {
        var current = regions[code]?.parentCode
        var steps = 0
        while let parent = current, steps < 16 {
            if parent == ancestor { return true }
            current = regions[parent]?.parentCode
            steps += 1
        }
        return false
    }

    /// The most specific place named in `address`, strictly inside `scope` (anywhere when nil).
    private func place(in address: String, within scope: String?) -> String? {
        // Unicode scalars, not Characters: comparing scalars is an integer comparison, and place
        // names are plain CJK, where the two agree.
        let text = Array(address.unicodeScalars)
        // Every occurrence of every alias, as (start, length, region).
        var occurrences: [(start: Int, length: Int, region: String)] = []
        for alias in aliases where scope == nil || isWithin(alias.region, scope!) {
            let n = alias.scalars.count
            guard n > 0, n <= text.count else { continue }
            for start in 0...(text.count - n) where text[start..<(start + n)].elementsEqual(alias.scalars) {
                occurrences.append((start, n, alias.region))
            }
        }
        // Longest match wins: drop an occurrence lying inside a longer one.
        let kept = occurrences.filter { o in
            !occurrences.contains { p in p.length > o.length && p.start <= o.start && o.start + o.length <= p.start + p.length }
        }
        guard !kept.isEmpty else { return nil }
        var bestLength: [String: Int] = [:]
        for o in kept { bestLength[o.region] = max(bestLength[o.region] ?? 0, o.length) }

        func rank(_ code: String) -> Int { regions[code].flatMap { RegionRecord.rank(of: $0.level) } ?? 0 }
        /// The region with the longest match, or nil when two differ with the same length.
        func longest(_ codes: [String]) -> String? {
            guard let top = codes.map({ bestLength[$0]! }).max() else { return nil }
            let best = Set(codes.filter { bestLength[$0] == top })
            return best.count == 1 ? best.first : nil
        }
        let townshipRank = RegionRecord.rank(of: "township")!
        let townships = bestLength.keys.filter { rank($0) == townshipRank }
        var villages = bestLength.keys.filter { rank($0) > townshipRank }
        if !townships.isEmpty {
            let named = villages.filter { village in townships.contains { isWithin(village, $0) } }
            villages = named
        }
        if let village = longest(villages) { return village }
        if !villages.isEmpty {
            // Several villages of the same name: their township, if they share one.
            let parents = Set(villages.compactMap { village in regions[village]?.parentCode })
            if parents.count == 1, let parent = parents.first, rank(parent) == townshipRank { return parent }
        }
        if let township = longest(townships) { return township }
        // Only coarser places (a county, a city).
        let coarser = bestLength.keys.filter { rank($0) < townshipRank }
        return coarser.max { rank($0) < rank($1) }
    }
}

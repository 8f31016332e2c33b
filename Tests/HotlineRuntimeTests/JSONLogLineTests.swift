import Foundation
@testable import HotlineRuntime
import Logging
import Testing

/// The worker's log line is written by hand: it must still be one valid JSON object that reads
/// back to exactly what was logged, whatever the text holds.
struct JSONLogLineTests {
    @Test func aLineReadsBackAsWhatWasLogged() throws {
        let awkward = "引号\"反斜杠\\换行\n回车\r制表\t响铃\u{07}空\u{00}分隔\u{2028}段\u{2029}末 ✓ /斜杠"
        let fields: [String: Logger.Metadata.Value] = [
            "msg": .string(awkward),
            "hotline.count": .stringConvertible(42),
            "hotline.list": .array([.string("a"), .string("乙\"")]),
            "hotline.nested": .dictionary(["k": .string("v\n")]),
        ]
        let line = JSONLogHandler.object(fields)
        #expect(!line.contains("\n"), "one line per event")
        let decoded = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(decoded["msg"] as? String == awkward)
        #expect(decoded["hotline.count"] as? String == "42")
        #expect(decoded["hotline.list"] as? [String] == ["a", "乙\""])
        #expect((decoded["hotline.nested"] as? [String: String]) == ["k": "v\n"])
        // Keys are sorted, so lines from different events line up.
        #expect(line.hasPrefix("{\"hotline.count\":\"42\",\"hotline.list\":"))
    }
}

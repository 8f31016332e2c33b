import HotlineDomain
import Testing

struct SearchableTextTests {
    @Test func findsExactlyTheSubstringsStringFinds() {
        let texts = ["城关镇幸福小区从昨天开始停水", "ABC停水def", "", "停", "水停水停"]
        let words = ["停水", "幸福小区", "城关镇幸福小区从昨天开始停水", "停电", "def", "", "水停", "镇幸福小区从昨天开始停水了"]
        for text in texts {
            let searchable = SearchableText(text)
            for word in words {
                let expected = word.isEmpty || text.unicodeScalars.count >= word.unicodeScalars.count
                    && (0...(text.unicodeScalars.count - word.unicodeScalars.count)).contains { start in
                        Array(text.unicodeScalars).dropFirst(start).prefix(word.unicodeScalars.count).elementsEqual(word.unicodeScalars)
                    }
                #expect(searchable.contains(word) == expected, "\(text) / \(word)")
            }
        }
        // A word never matches across a character boundary: 水 (E6 B0 B4) is not found in 氷.
        #expect(!SearchableText("氷氷").contains("水"))
    }
}

/// A count for a 32-bit INTEGER column (PostgreSQL's `integer`): kept within 0…Int32.max, so a
/// count from outside (an LLM's token count, a damaged pattern row) cannot fail its statement.
enum StorableCount {
    static func int32(_ count: Int) -> Int { min(max(count, 0), Int(Int32.max)) }
}

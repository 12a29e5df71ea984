import MailHookCore
import Synchronization

/// The response format one endpoint is asked for. A fixed mode stays; `auto` starts at
/// `json_schema` and steps down (json_object with a schema, then plain JSON mode) each time the
/// endpoint refuses a form, and remembers that for every later call.
final class StructuredOutputLevel: Sendable {
    private let adaptive: Bool
    private let level: Mutex<StructuredOutputMode>

    init(_ mode: StructuredOutputMode) {
        adaptive = mode == .auto
        level = Mutex(mode == .auto ? .jsonSchema : mode)
    }

    var current: StructuredOutputMode { level.withLock { $0 } }

    /// The form to ask in after `refused` was refused, or nil when there is none left to try.
    func lower(from refused: StructuredOutputMode) -> StructuredOutputMode? {
        guard adaptive else { return nil }
        let next: StructuredOutputMode? = switch refused {
        case .auto, .jsonSchema: .jsonObject
        case .jsonObject: StructuredOutputMode.none
        case .none: nil
        }
        guard let next else { return nil }
        level.withLock { current in
            // Concurrent calls may both have been refused: only ever step down.
            if Self.rank(next) < Self.rank(current) { current = next }
        }
        return next
    }

    private static func rank(_ mode: StructuredOutputMode) -> Int {
        switch mode {
        case .auto, .jsonSchema: 2
        case .jsonObject: 1
        case .none: 0
        }
    }
}

import Foundation

/// The `Codable` encoder behind ``JSONWriter``: builds the document as a small tree and writes it
/// with the direct writer. Same text as `JSONEncoder` configured as the writer was (keys sorted,
/// `/` unescaped, dates as Graph dates, non-finite numbers as strings), at a fraction of the cost:
/// every email stores several JSON columns, and `JSONEncoder` was a few per cent of the pipeline.
enum TreeEncoder {
    /// A document under construction. Containers are boxes, so a container handed out earlier
    /// keeps filling the node it belongs to.
    enum Node {
        case null
        case bool(Bool)
        /// The number's text, exact: integers never pass through `Double`.
        case number(String)
        case string(String)
        case array(ArrayBox)
        case object(ObjectBox)
        /// Filled by a `superEncoder()`; an empty object when nothing was encoded through it.
        case deferred(Slot)
    }

    final class ArrayBox { var items: [Node] = [] }
    final class ObjectBox { var members: [String: Node] = [:] }
    final class Slot { var node: Node? }

    /// The JSON bytes of `value`, or nil when it encodes nothing or throws (as `JSONEncoder` would).
    static func bytes(_ value: some Encodable) -> [UInt8]? {
        guard let node = try? topLevel(value) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(node, into: &out)
        return out
    }

    /// The value's node, or nil when it encodes nothing.
    static func topLevel(_ value: some Encodable, codingPath: [any CodingKey] = []) throws -> Node? {
        if let special = special(value) { return special }
        let encoder = TreeValueEncoder(codingPath: codingPath)
        try value.encode(to: encoder)
        return encoder.node
    }

    /// A nested value; one that encodes nothing is an empty object, as with `JSONEncoder`.
    static func node(_ value: some Encodable, codingPath: [any CodingKey]) throws -> Node {
        try topLevel(value, codingPath: codingPath) ?? .object(ObjectBox())
    }

    /// Types `JSONEncoder` writes its own way rather than through their `Codable` conformance.
    static func special(_ value: some Encodable) -> Node? {
        switch value {
        case let date as Date: .string(GraphDate.format(date))
        case let url as URL: .string(url.absoluteString)
        case let data as Data: .string(data.base64EncodedString())
        case let decimal as Decimal: .number(decimal.description)
        default: nil
        }
    }

    /// Swift's shortest form without a trailing `.0`; non-finite numbers as the strings the encoder uses.
    static func number<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F) -> Node {
        guard value.isFinite else { return .string(value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity") }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return .number(text)
    }

    static func write(_ node: Node, into out: inout [UInt8]) {
        switch node {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .number(let text): out += text.utf8
        case .string(let s): JSONWriter.writeString(s, into: &out)
        case .array(let box):
            out.append(UInt8(ascii: "["))
            for (i, item) in box.items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let box):
            out.append(UInt8(ascii: "{"))
            for (i, key) in box.members.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                if let member = box.members[key] { write(member, into: &out) }
            }
            out.append(UInt8(ascii: "}"))
        case .deferred(let slot):
            if let node = slot.node { write(node, into: &out) } else { out += "{}".utf8 }
        }
    }
}

/// The `Encoder` a value encodes itself into: it holds one node, a container or a single value.
final class TreeValueEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// Where a super encoder's value goes.
    private let slot: TreeEncoder.Slot?
    var node: TreeEncoder.Node? {
        didSet { slot?.node = node }
    }

    init(codingPath: [any CodingKey], slot: TreeEncoder.Slot? = nil) {
        self.codingPath = codingPath
        self.slot = slot
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: TreeEncoder.ObjectBox
        if case .object(let existing) = node { box = existing } else {
            box = TreeEncoder.ObjectBox()
            node = .object(box)
        }
        return KeyedEncodingContainer(TreeKeyedContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: TreeEncoder.ArrayBox
        if case .array(let existing) = node { box = existing } else {
            box = TreeEncoder.ArrayBox()
            node = .array(box)
        }
        return TreeUnkeyedContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { TreeSingleValueContainer(encoder: self) }
}

import Foundation

/// The containers of ``TreeValueEncoder``. Every scalar becomes its node directly; other values
/// encode themselves into a nested encoder.
struct TreeKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: TreeEncoder.ObjectBox
    let codingPath: [any CodingKey]

    private func set(_ node: TreeEncoder.Node, _ key: Key) { box.members[key.stringValue] = node }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(TreeEncoder.number(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(TreeEncoder.number(value), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.number(String(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(.number(String(value)), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        set(try TreeEncoder.node(value, codingPath: codingPath + [key]), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = TreeEncoder.ObjectBox()
        set(.object(nested), key)
        return KeyedEncodingContainer(TreeKeyedContainer<NestedKey>(box: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = TreeEncoder.ArrayBox()
        set(.array(nested), key)
        return TreeUnkeyedContainer(box: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: "super") }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue) }

    private func superEncoder(named name: String) -> any Encoder {
        let slot = TreeEncoder.Slot()
        box.members[name] = .deferred(slot)
        return TreeValueEncoder(codingPath: codingPath, slot: slot)
    }
}

struct TreeUnkeyedContainer: UnkeyedEncodingContainer, TreeScalarSink {
    let box: TreeEncoder.ArrayBox
    let codingPath: [any CodingKey]
    var count: Int { box.items.count }

    func put(_ node: TreeEncoder.Node) { box.items.append(node) }


    mutating func encode<T: Encodable>(_ value: T) throws {
        put(try TreeEncoder.node(value, codingPath: codingPath + [TreeIndexKey(count)]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = TreeEncoder.ObjectBox()
        let path = codingPath + [TreeIndexKey(count)]
        put(.object(nested))
        return KeyedEncodingContainer(TreeKeyedContainer<NestedKey>(box: nested, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = TreeEncoder.ArrayBox()
        let path = codingPath + [TreeIndexKey(count)]
        put(.array(nested))
        return TreeUnkeyedContainer(box: nested, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let slot = TreeEncoder.Slot()
        let path = codingPath + [TreeIndexKey(count)]
        put(.deferred(slot))
        return TreeValueEncoder(codingPath: path, slot: slot)
    }
}

struct TreeSingleValueContainer: SingleValueEncodingContainer, TreeScalarSink {
    let encoder: TreeValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    func put(_ node: TreeEncoder.Node) { encoder.node = node }


    mutating func encode<T: Encodable>(_ value: T) throws { put(try TreeEncoder.node(value, codingPath: codingPath)) }
}

/// A container that takes one node per value (an array's next item, a single value): its scalar
/// `encode` methods are written once here.
protocol TreeScalarSink {
    func put(_ node: TreeEncoder.Node)
}

extension TreeScalarSink {
    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(TreeEncoder.number(value)) }
    mutating func encode(_ value: Float) throws { put(TreeEncoder.number(value)) }
    mutating func encode(_ value: Int) throws { put(.number(String(value))) }
    mutating func encode(_ value: Int8) throws { put(.number(String(value))) }
    mutating func encode(_ value: Int16) throws { put(.number(String(value))) }
    mutating func encode(_ value: Int32) throws { put(.number(String(value))) }
    mutating func encode(_ value: Int64) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt8) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt16) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt32) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt64) throws { put(.number(String(value))) }
}

/// An array position in a coding path.
struct TreeIndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// A closed set of names MailHook stores, configures or reports. Each case's raw value is the
/// exact text kept in the database, written in configuration or shown in metrics, so raw values
/// never change; a new case needs the migrations' comments updated (a test compares them).
public protocol Vocabulary: RawRepresentable, CaseIterable, Sendable, Hashable, Codable where RawValue == String {}

extension Vocabulary {
    /// Every raw value, in declaration order (for error messages and documentation).
    public static var names: [String] { allCases.map(\.rawValue) }
}

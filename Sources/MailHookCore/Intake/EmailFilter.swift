/// Sender-domain and subject filters (`graph.filters`, `webhook_endpoints[].filters`).
/// Every present filter must match; within one list any entry matches; comparisons ignore case;
/// a sender domain also matches its subdomains.
public struct EmailFilter: Sendable, Equatable, Encodable {
    public var senderDomains: [String]
    public var subjectsContaining: [String]

    public init(senderDomains: [String] = [], subjectsContaining: [String] = []) {
        self.senderDomains = senderDomains.map { $0.lowercased().trimmingDots() }.filter { !$0.isEmpty }
        self.subjectsContaining = subjectsContaining.map { $0.lowercased() }.filter { !$0.isEmpty }
    }

    public var isEmpty: Bool { senderDomains.isEmpty && subjectsContaining.isEmpty }

    public func matches(sender: String?, subject: String?) -> Bool {
        if !senderDomains.isEmpty {
            guard let domain = sender.flatMap(Self.domain(of:)) else { return false }
            let ok = senderDomains.contains { domain == $0 || domain.hasSuffix("." + $0) }
            if !ok { return false }
        }
        if !subjectsContaining.isEmpty {
            guard let subject = subject?.lowercased() else { return false }
            if !subjectsContaining.contains(where: { subject.contains($0) }) { return false }
        }
        return true
    }

    /// The domain of an address such as `a@b.com` or `Name <a@b.com>`, lowercased.
    public static func domain(of sender: String) -> String? {
        var address = Substring(sender)
        if let open = address.lastIndex(of: "<"), let close = address.lastIndex(of: ">"), open < close {
            address = address[address.index(after: open)..<close]
        }
        guard let at = address.lastIndex(of: "@") else { return nil }
        let domain = String(address[address.index(after: at)...]).lowercased().trimmingDots()
        return domain.isEmpty ? nil : domain
    }

    enum CodingKeys: String, CodingKey {
        case senderDomains = "sender_domains"
        case subjectsContaining = "subjects_containing"
    }
}

extension String {
    fileprivate func trimmingDots() -> String {
        var s = Substring(self)
        while s.first == "." || s.first == " " { s = s.dropFirst() }
        while s.last == "." || s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

extension EmailFilter {
    init(reader: ConfigReader) throws(ConfigError) {
        try reader.rejectUnknownKeys(["sender_domains", "subjects_containing"])
        self.init(
            senderDomains: try reader.stringArray("sender_domains"),
            subjectsContaining: try reader.stringArray("subjects_containing")
        )
    }
}

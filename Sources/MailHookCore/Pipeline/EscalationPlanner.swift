import Crypto
import Foundation

/// Who is pulled into a Teams escalation and what the chat is called. Pure: the pipeline gives
/// it the classification; it answers with members, topic and message.
///
/// - `teams.expertiseMapping` maps a skill (`network`) or a category (`PURCHASING`) to people;
/// - `teams.userExpertise` maps a person to their skills;
/// - people who match more of the required skills come first; at most ``maxMembers``;
/// - fewer than two → `teams.fallbackMember` joins, so someone always owns the escalation.
public struct EscalationPlanner: Sendable {
    public static let maxMembers = 6

    public let expertiseMapping: [String: [String]]
    public let userExpertise: [String: [String]]
    public let fallbackMember: String?

    public init(expertiseMapping: [String: [String]], userExpertise: [String: [String]], fallbackMember: String?) {
        self.expertiseMapping = expertiseMapping
        self.userExpertise = userExpertise
        self.fallbackMember = fallbackMember
    }

    public init(_ teams: MailHookConfiguration.Teams) {
        self.init(expertiseMapping: teams.expertiseMapping, userExpertise: teams.userExpertise, fallbackMember: teams.fallbackMember)
    }

    public func members(category: Category, requiredExpertise: [String]) -> [String] {
        let skills = requiredExpertise.map { $0.lowercased() }
        var score: [String: Int] = [:]
        var order: [String] = []
        func add(_ person: String, _ weight: Int) {
            let key = person.lowercased()
            if score[key] == nil { order.append(key) }
            score[key, default: 0] += weight
        }
        // Lookups are case-insensitive: configuration is written by people.
        let mapping = Dictionary(expertiseMapping.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: +)
        for skill in skills { for person in mapping[skill] ?? [] { add(person, 2) } }
        for person in mapping[category.rawValue.lowercased()] ?? [] { add(person, 1) }
        for (person, theirs) in userExpertise.sorted(by: { $0.key < $1.key }) {
            let matched = Set(theirs.map { $0.lowercased() }).intersection(skills).count
            if matched > 0 { add(person, 2 * matched) }
        }
        var chosen = order.enumerated().sorted { a, b in
            let (sa, sb) = (score[a.element] ?? 0, score[b.element] ?? 0)
            return sa != sb ? sa > sb : a.offset < b.offset
        }.map(\.element)
        if chosen.count > Self.maxMembers { chosen.removeLast(chosen.count - Self.maxMembers) }
        if chosen.count < 2, let fallback = fallbackMember?.lowercased(), !chosen.contains(fallback) { chosen.append(fallback) }
        return chosen
    }

    /// `IT-{CATEGORY}-{yyyy-MM-dd}-{8 hex of the subject's SHA-256}` (UTC date of receipt).
    public static func topic(category: Category, receivedAt: Date, subject: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: receivedAt)
        let date = String(format: "%04d-%02d-%02d", c.year ?? 1970, c.month ?? 1, c.day ?? 1)
        let hash = Hex.encode(SHA256.hash(data: Array(subject.utf8))).prefix(8)
        return "IT-\(category.rawValue)-\(date)-\(hash)"
    }
}

/// What an escalation tells people, for a Teams chat message or an Adaptive Card.
public struct EscalationSummary: Sendable, Equatable {
    public var subject: String
    public var sender: String
    public var category: Category
    public var urgency: Urgency
    public var confidence: Double
    public var reason: String
    public var suggestedAction: String
    /// The sanitised start of the body.
    public var excerpt: String
    public var link: String?

    public init(subject: String, sender: String, category: Category, urgency: Urgency, confidence: Double, reason: String,
                suggestedAction: String, excerpt: String, link: String?) {
        self.subject = subject
        self.sender = sender
        self.category = category
        self.urgency = urgency
        self.confidence = confidence
        self.reason = reason
        self.suggestedAction = suggestedAction
        self.excerpt = excerpt
        self.link = link
    }

    /// The chat message body (Teams takes a small HTML subset).
    public var html: String {
        var lines = [
            "<p><b>Escalated email</b>: \(Self.escape(subject))</p>",
            "<p>From \(Self.escape(sender)) · \(category.rawValue) · urgency \(urgency.rawValue) · confidence \(Self.percent(confidence))</p>",
            "<p>Why: \(Self.escape(reason))</p>",
            "<p>Suggested: \(Self.escape(suggestedAction))</p>",
        ]
        if !excerpt.isEmpty { lines.append("<blockquote>\(Self.escape(excerpt))</blockquote>") }
        if let link { lines.append("<p><a href=\"\(Self.escape(link))\">Open the message</a></p>") }
        return lines.joined()
    }

    /// A Teams Workflows / incoming-webhook message carrying an Adaptive Card 1.4.
    ///
    /// Teams renders Markdown in a TextBlock and in facts, so a subject such as
    /// `[Reset your password](https://…)` would become a link in the IT team's channel, posted by
    /// MailHook. Text from the email or a model (subject, sender, suggestion, excerpt) therefore
    /// goes into TextRuns, which Adaptive Cards show as plain text; TextBlocks and facts hold only
    /// MailHook's own words and the configured people.
    public func adaptiveCardMessage(topic: String, members: [String]) -> JSONValue {
        var body: [JSONValue] = [
            Self.plain([Self.run("Escalated: ", bold: true, size: "Medium"), Self.run(subject, bold: true, size: "Medium")]),
            Self.plain([Self.run("From: ", bold: true), Self.run(sender)]),
            .object(["type": .string("FactSet"), "facts": .array([
                fact("Category", category.rawValue), fact("Urgency", urgency.rawValue),
                fact("Confidence", Self.percent(confidence)), fact("Topic", topic),
                fact("People", members.joined(separator: ", ")),
            ])]),
            Self.plain([Self.run("Why: ", bold: true), Self.run(reason)]),
            Self.plain([Self.run("Suggested: ", bold: true), Self.run(suggestedAction)]),
        ]
        if !excerpt.isEmpty {
            body.append(Self.plain([Self.run(excerpt, subtle: true)]))
        }
        var card: [String: JSONValue] = [
            "type": .string("AdaptiveCard"), "version": .string("1.4"),
            "$schema": .string("http://adaptivecards.io/schemas/adaptive-card.json"), "body": .array(body),
        ]
        if let link {
            card["actions"] = .array([.object(["type": .string("Action.OpenUrl"), "title": .string("Open the message"), "url": .string(link)])])
        }
        return .object([
            "type": .string("message"),
            "attachments": .array([.object([
                "contentType": .string("application/vnd.microsoft.card.adaptive"), "contentUrl": .null, "content": .object(card),
            ])]),
        ])
    }

    private func fact(_ title: String, _ value: String) -> JSONValue {
        .object(["title": .string(title), "value": .string(value)])
    }

    /// A RichTextBlock: its runs are never read as Markdown.
    static func plain(_ runs: [JSONValue]) -> JSONValue {
        .object(["type": .string("RichTextBlock"), "inlines": .array(runs)])
    }

    static func run(_ text: String, bold: Bool = false, subtle: Bool = false, size: String? = nil) -> JSONValue {
        var run: [String: JSONValue] = ["type": .string("TextRun"), "text": .string(text)]
        if bold { run["weight"] = .string("Bolder") }
        if let size { run["size"] = .string(size) }
        if subtle { run["isSubtle"] = .bool(true) }
        return .object(run)
    }

    /// A confidence as a whole number; one that is not a number 0…100 reads "?" rather than trapping.
    static func percent(_ confidence: Double) -> String {
        guard confidence.isFinite, (0...100).contains(confidence) else { return "?" }
        return String(Int(confidence.rounded()))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

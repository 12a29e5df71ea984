import Foundation

/// What `classifier.criticalFromPercent` trades, measured: the same cross-validated emails read at
/// several thresholds, with the urgency accuracy, the critical mail found and the escalations
/// (category ESCALATION or urgency CRITICAL, as ``RoutingPolicy`` escalates) each would give.
/// `mailhook train` prints it, so a site that trains on its own feedback sees its own trade-off.
public struct CriticalTradeoff: Sendable, Equatable {
    /// The thresholds always measured, in percent; the default is among them.
    public static let percents = [10, 15, 20, 25, 30, 50]

    public struct Row: Sendable, Equatable {
        public var percent: Int
        /// Emails labelled with an urgency, and how many got it.
        public var emails = 0
        public var urgencyCorrect = 0
        public var critical = 0
        public var criticalFound = 0
        public var othersCalledCritical = 0
        /// Emails whose labels call for an escalation, and those missed.
        public var escalations = 0
        public var escalationsMissed = 0
        /// Emails whose labels do not, and those escalated anyway.
        public var others = 0
        public var extraEscalations = 0
    }

    public private(set) var rows: [Row]
    /// The threshold the evaluation itself used (a site's `classifier.criticalFromPercent`).
    public let configured: Int

    /// The standard thresholds and `configured`, in order.
    public init(configured: Int = LocalClassifier.defaultCriticalFromPercent) {
        self.configured = configured
        rows = Set(Self.percents + [configured]).sorted().map { Row(percent: $0) }
    }

    mutating func record(_ row: Int, _ email: LabelledEmail, _ result: Classification) {
        guard rows.indices.contains(row) else { return }
        if let urgency = email.urgency {
            rows[row].emails += 1
            if urgency == result.urgency { rows[row].urgencyCorrect += 1 }
            if urgency == .critical {
                rows[row].critical += 1
                if result.urgency == .critical { rows[row].criticalFound += 1 }
            } else if result.urgency == .critical {
                rows[row].othersCalledCritical += 1
            }
        }
        let escalated = result.category == .escalation || result.urgency == .critical
        if email.category == .escalation || email.urgency == .critical {
            rows[row].escalations += 1
            if !escalated { rows[row].escalationsMissed += 1 }
        } else {
            rows[row].others += 1
            if escalated { rows[row].extraEscalations += 1 }
        }
    }

    /// A Markdown table, the default and the configured threshold marked.
    public func table() -> String {
        var lines = [
            "| CRITICAL from | urgency accuracy | CRITICAL found | others called CRITICAL | escalations missed | extra escalations |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows {
            let label =
                row.percent == configured ? "**\(row.percent) %** (\(configured == LocalClassifier.defaultCriticalFromPercent ? "default" : "configured"))"
                : row.percent == LocalClassifier.defaultCriticalFromPercent ? "\(row.percent) % (default)" : "\(row.percent) %"
            let accuracy = ClassifierEvaluation.percent(ClassifierEvaluation.ratio(row.urgencyCorrect, row.emails))
            lines.append(
                "| \(label) | \(accuracy) | \(row.criticalFound) of \(row.critical) | \(row.othersCalledCritical) | "
                    + "\(row.escalationsMissed) of \(row.escalations) | \(row.extraEscalations) of \(row.others) |")
        }
        return lines.joined(separator: "\n")
    }
}

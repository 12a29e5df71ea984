/// `GET /analytics/processing?days=N`: what the pipeline did in the window and how long it took.
/// Counted in SQL over `processing_results` (one row per email); percentiles by nearest rank.
public struct ProcessingAnalytics: Sendable, Equatable, Encodable {
    /// Emails whose processing started in the window.
    public struct Totals: Sendable, Equatable, Encodable {
        public var processed = 0
        public var completed = 0
        public var failed = 0
        /// Neither completed nor failed yet (retrying, or being processed now).
        public var inProgress = 0
        /// Replies sent to the sender (live mode only).
        public var repliesSent = 0
        /// Draft replies created or, in dry-run, recorded.
        public var drafts = 0
        /// Emails flagged for a person to review, or recorded as such in dry-run.
        public var reviews = 0
        /// Escalations created (Teams chat, workflow card or escalation flag), or recorded in dry-run.
        public var escalations = 0
        /// Actions recorded but not performed because `actions.mode` is `dry-run`.
        public var dryRun = 0

        public init() {}

        enum CodingKeys: String, CodingKey {
            case processed, completed, failed, drafts, reviews, escalations
            case inProgress = "in_progress"
            case repliesSent = "replies_sent"
            case dryRun = "dry_run"
        }
    }

    /// Milliseconds one stage took, over the emails that went through it; `total` is the whole run.
    public struct StageTiming: Sendable, Equatable, Encodable {
        public var stage: String
        public var count: Int
        public var p50Ms: Int
        public var p95Ms: Int

        public init(stage: String, count: Int, p50Ms: Int, p95Ms: Int) {
            self.stage = stage
            self.count = count
            self.p50Ms = p50Ms
            self.p95Ms = p95Ms
        }

        enum CodingKeys: String, CodingKey {
            case stage, count
            case p50Ms = "p50_ms"
            case p95Ms = "p95_ms"
        }
    }

    /// One UTC day of the window.
    public struct Day: Sendable, Equatable, Encodable {
        public var day: String
        public var processed: Int
        public var completed: Int
        public var failed: Int
        public var escalations: Int

        public init(day: String, processed: Int, completed: Int, failed: Int, escalations: Int) {
            self.day = day
            self.processed = processed
            self.completed = completed
            self.failed = failed
            self.escalations = escalations
        }
    }

    public var days: Int
    public var totals: Totals
    /// `total` first, then the pipeline's stages in order; stages no email reached are left out.
    public var stages: [StageTiming]
    /// Oldest first; days without processing are left out.
    public var daily: [Day]

    public init(days: Int, totals: Totals, stages: [StageTiming], daily: [Day]) {
        self.days = days
        self.totals = totals
        self.stages = stages
        self.daily = daily
    }

    /// The 0-based rank a nearest-rank percentile takes among `count` sorted values: the same
    /// integer arithmetic runs in SQL, so tests can recompute it.
    public static func rank(percent: Int, count: Int) -> Int {
        percent * (count - 1) / 100
    }
}

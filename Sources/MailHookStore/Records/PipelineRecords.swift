import Foundation
import MailHookCore

/// What the pipeline keeps about one email's processing (`processing_results`), written at each
/// stage change so operators can see where an email is and how long each stage took.
public struct ProcessingRecord: Sendable, Equatable {
    /// One row per email: `proc-<email id>`; reprocessing (a retry or a replay) updates it.
    public var id: String
    public var emailId: String
    public var status: ProcessingStatus
    public var startedAt: Date
    public var completedAt: Date?
    /// What the routing decision made MailHook do.
    public var actionTaken: ActionTaken?
    public var responseSent: Bool
    public var escalationCreated: Bool
    public var escalationId: String?
    public var processingTimeMs: Int?
    public var classificationTimeMs: Int?
    public var responseGenerationTimeMs: Int?
    public var errorMessage: String?
    public var errorStage: PipelineStage?
    /// Attempts before this one (the inbox row's attempts - 1).
    public var retryCount: Int
    /// JSON object: per-stage timings, sanitiser counts, classifier fallback.
    public var context: String?
    /// JSON object: the routing decision, rule, threshold and explanation.
    public var confidenceRouting: String?

    public init(
        id: String, emailId: String, status: ProcessingStatus, startedAt: Date, completedAt: Date? = nil, actionTaken: ActionTaken? = nil,
        responseSent: Bool = false, escalationCreated: Bool = false, escalationId: String? = nil, processingTimeMs: Int? = nil,
        classificationTimeMs: Int? = nil, responseGenerationTimeMs: Int? = nil, errorMessage: String? = nil, errorStage: PipelineStage? = nil,
        retryCount: Int = 0, context: String? = nil, confidenceRouting: String? = nil
    ) {
        self.id = id
        self.emailId = emailId
        self.status = status
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.actionTaken = actionTaken
        self.responseSent = responseSent
        self.escalationCreated = escalationCreated
        self.escalationId = escalationId
        self.processingTimeMs = processingTimeMs
        self.classificationTimeMs = classificationTimeMs
        self.responseGenerationTimeMs = responseGenerationTimeMs
        self.errorMessage = errorMessage
        self.errorStage = errorStage
        self.retryCount = retryCount
        self.context = context
        self.confidenceRouting = confidenceRouting
    }
}

/// One external action (`action_records`), written before the call and completed after it.
public struct ActionRecord: Sendable, Equatable {
    public var id: Int64
    public var inboxId: Int64
    public var emailId: String?
    public var action: ActionKind
    public var idempotencyKey: String
    public var mode: ActionMode
    /// The request made (or that would be made) as JSON text, without secrets.
    public var request: String?
    public var status: ActionStatus
    /// What the call returned that later steps need (a chat id, a draft id) as JSON text.
    public var result: String?
    public var createdAt: Date?
    public var completedAt: Date?
    /// The claim of the inbox row (lease owner and attempt) that began or last took over the action.
    public var claimOwner: String?
    public var claimAttempt: Int?
    /// Not stored: set by ``PipelineStore/beginAction(_:)`` when the record was already there
    /// unfinished, i.e. an earlier call's outcome is unknown and must be reconciled first.
    public var resumed = false

    public init(
        id: Int64 = 0, inboxId: Int64, emailId: String?, action: ActionKind, idempotencyKey: String, mode: ActionMode, request: String?,
        status: ActionStatus = .started, result: String? = nil, createdAt: Date? = nil, completedAt: Date? = nil, claimOwner: String? = nil,
        claimAttempt: Int? = nil
    ) {
        self.id = id
        self.inboxId = inboxId
        self.emailId = emailId
        self.action = action
        self.idempotencyKey = idempotencyKey
        self.mode = mode
        self.request = request
        self.status = status
        self.result = result
        self.createdAt = createdAt
        self.completedAt = completedAt
        self.claimOwner = claimOwner
        self.claimAttempt = claimAttempt
    }
}

/// An action was about to begin under a claim that is no longer the inbox row's current one
/// (its lease expired and another worker took the row): nothing was done, and nothing may be.
public struct StaleClaim: Error, CustomStringConvertible {
    public let inboxId: Int64
    public init(inboxId: Int64) { self.inboxId = inboxId }
    public var description: String { "the claim on inbox row \(inboxId) was lost to another worker; this attempt stops" }
}

/// A Teams escalation (`escalation_teams`).
public struct EscalationRecord: Sendable, Equatable {
    /// `esc-<email id>`.
    public var id: String
    /// The Teams chat id, or the workflow card's id.
    public var teamId: String
    public var emailId: String
    public var teamName: String
    public var teamDescription: String?
    public var members: [String]
    public var ownerEmail: String?
    public var teamsGroupUrl: String?
    public var channelId: String?
    public var messageCount: Int

    public init(
        id: String, teamId: String, emailId: String, teamName: String, teamDescription: String?, members: [String], ownerEmail: String?,
        teamsGroupUrl: String?, channelId: String?, messageCount: Int
    ) {
        self.id = id
        self.teamId = teamId
        self.emailId = emailId
        self.teamName = teamName
        self.teamDescription = teamDescription
        self.members = members
        self.ownerEmail = ownerEmail
        self.teamsGroupUrl = teamsGroupUrl
        self.channelId = channelId
        self.messageCount = messageCount
    }
}

/// One email seen under a subject signature (`email_patterns`).
public struct PatternObservation: Sendable, Equatable {
    /// Stable id of the signature (`pat-<16 hex of its SHA-256>`).
    public var patternId: String
    public var patternType: PatternType
    /// The normalised subject, e.g. `password reset for user <num>`.
    public var signature: String
    public var description: String
    public var emailId: String
    public var category: Category
    public var senderDomain: String?
    public var seenAt: Date
    /// 0...1: how much of this pattern's mail could be answered automatically (this email's contribution).
    public var automationPotential: Double
    public var confidence: Double

    public init(
        patternId: String, patternType: PatternType = .subject, signature: String, description: String, emailId: String, category: Category,
        senderDomain: String?, seenAt: Date, automationPotential: Double, confidence: Double
    ) {
        self.patternId = patternId
        self.patternType = patternType
        self.signature = signature
        self.description = description
        self.emailId = emailId
        self.category = category
        self.senderDomain = senderDomain
        self.seenAt = seenAt
        self.automationPotential = automationPotential
        self.confidence = confidence
    }
}

/// One measurement (`performance_metrics`).
public struct PerformanceMetric: Sendable, Equatable {
    public var type: MetricType
    /// The stage (`classify`…) or `total`.
    public var name: String
    /// e.g. "pipeline"
    public var category: String
    public var value: Double
    /// e.g. "ms"
    public var unit: String
    public var emailId: String?
    /// JSON object, or nil.
    public var metadata: String?

    public init(type: MetricType, name: String, category: String, value: Double, unit: String, emailId: String?, metadata: String? = nil) {
        self.type = type
        self.name = name
        self.category = category
        self.value = value
        self.unit = unit
        self.emailId = emailId
        self.metadata = metadata
    }
}

/// Everything written when an email's processing ends, in one transaction.
public struct ProcessingCompletion: Sendable, Equatable {
    public var processing: ProcessingRecord
    /// The new `email_messages.processing_status`.
    public var emailStatus: ProcessingStatus
    public var pattern: PatternObservation?
    public var metrics: [PerformanceMetric]
    /// Actions whose outcome is recorded with the completion (their call is over).
    public var actions: [ActionOutcome]
    /// The inbox row to mark `completed` in the same transaction, while this lease holds it.
    public var inbox: InboxLease?

    public init(
        processing: ProcessingRecord, emailStatus: ProcessingStatus, pattern: PatternObservation?, metrics: [PerformanceMetric],
        actions: [ActionOutcome] = [], inbox: InboxLease? = nil
    ) {
        self.processing = processing
        self.emailStatus = emailStatus
        self.pattern = pattern
        self.metrics = metrics
        self.actions = actions
        self.inbox = inbox
    }
}

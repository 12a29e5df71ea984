import MailHookCore
import MailHookStore

/// Stage 4, classify: the configured classifier, once per email. A retried row reuses the stored
/// classification, so its routing decision and its actions' idempotency keys never change; a new
/// one is stored by the pipeline together with the routing decision.
struct ClassifyStage: Sendable {
    let store: any PipelineStore
    let classifier: any EmailClassifier
    /// The offline classifier (with the trained model when one is loaded), for the second opinion.
    let offline: LocalEmailClassifier

    struct Output: Sendable {
        var classification: Classification
        var reused: Bool
        /// The primary classifier failed and the fallback decided.
        var fellBack: Bool
        var failure: String?
        /// The offline classifier's view when an LLM decided: a second opinion for automatic replies.
        var offline: Classification?
    }

    func run(emailId: String, input: ClassifierInput) async throws -> Output {
        var output: Output
        if let stored = try await store.classification(emailId: emailId) {
            output = Output(classification: stored, reused: true, fellBack: false, failure: nil)
        } else {
            // Stored with the routing decision (``PipelineStore/recordDecision(_:)``), before any action.
            let outcome = await classifier.classify(input)
            output = Output(classification: outcome.classification, reused: false, fellBack: outcome.fellBack, failure: outcome.failure)
        }
        if !LocalClassifier.modelNames.contains(output.classification.modelUsed) {
            output.offline = await offline.classify(input).classification
        }
        return output
    }
}

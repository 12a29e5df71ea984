import MailHookCore
import MailHookStore

/// Stage 4, classify: the configured classifier, once per email. A retried row reuses the stored
/// classification, so its routing decision and its actions' idempotency keys never change.
struct ClassifyStage: Sendable {
    let store: any PipelineStore
    let classifier: any EmailClassifier

    struct Output: Sendable {
        var classification: Classification
        var reused: Bool
        /// The primary classifier failed and the fallback decided.
        var fellBack: Bool
        var failure: String?
    }

    func run(emailId: String, input: ClassifierInput) async throws -> Output {
        if let stored = try await store.classification(emailId: emailId) {
            return Output(classification: stored, reused: true, fellBack: false, failure: nil)
        }
        let outcome = await classifier.classify(input)
        try await store.saveClassification(outcome.classification, emailId: emailId)
        return Output(classification: outcome.classification, reused: false, fellBack: outcome.fellBack, failure: outcome.failure)
    }
}

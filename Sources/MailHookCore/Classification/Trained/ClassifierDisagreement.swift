/// One labelled email the classifier answered differently: what the label says and what was
/// chosen. `mailhook train --disagreements` writes them so a person can check the labels (a
/// mistaken correction teaches the model the mistake) or see what the model still misses.
public struct ClassifierDisagreement: Sendable, Equatable, Codable {
    public var id: String
    public var subject: String
    public var labelledCategory: Category
    public var chosenCategory: Category
    /// Nil when the label gave no urgency.
    public var labelledUrgency: Urgency?
    public var chosenUrgency: Urgency
    public var confidence: Double

    init(_ email: LabelledEmail, _ result: Classification) {
        id = email.id
        subject = email.subject
        labelledCategory = email.category
        chosenCategory = result.category
        labelledUrgency = email.urgency
        chosenUrgency = result.urgency
        confidence = result.confidence
    }

    enum CodingKeys: String, CodingKey {
        case id, subject, confidence
        case labelledCategory = "labelled_category"
        case chosenCategory = "chosen_category"
        case labelledUrgency = "labelled_urgency"
        case chosenUrgency = "chosen_urgency"
    }
}

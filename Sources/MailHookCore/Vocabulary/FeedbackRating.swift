/// `classification_feedback.rating`: how a person judged MailHook's classification.
public enum FeedbackRating: String, Vocabulary {
    case correct, partial, wrong
}

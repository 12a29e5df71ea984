/// Namespace for the classification suites (router, sanitiser, prompts, parser, offline
/// classifier, accuracy), so `swift test --filter ClassificationTests` runs exactly them.
enum ClassificationTests {}

import Logging
import MailHookStore
import ServiceLifecycle

/// Counts the completions' pattern observations into `email_patterns` off the completion path:
/// every `interval`, and straight on while a full batch came back. Each fold is one transaction
/// that merges and deletes its observations, so a crash or a second replica counts nothing twice;
/// readers of the patterns fold what is left first, so they never see a count behind.
public struct PatternFolder: Service {
    let store: any PipelineStore
    let interval: Duration
    let batch: Int
    let startAfter: ReadySignal?
    let logger: Logger

    public init(store: any PipelineStore, interval: Duration = .seconds(1), batch: Int = SQLStore.foldBatch, startAfter: ReadySignal?, logger: Logger) {
        self.store = store
        self.interval = interval
        // The store takes at most its own batch per fold; asking for more would never look full.
        self.batch = min(max(batch, 1), SQLStore.foldBatch)
        self.startAfter = startAfter
        self.logger = logger
    }

    public func run() async throws {
        if let startAfter {
            await cancelWhenGracefulShutdown { await startAfter.wait() }
        }
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var pause = interval
            do {
                if try await store.foldPatterns(limit: batch) >= batch { pause = .zero }
                failures = 0
            } catch {
                // The observations stay where they are; the next fold takes them.
                failures += 1
                pause = interval * min(failures, 30)
                logger.warning("could not fold pattern observations", metadata: ["error": "\(String(reflecting: error))"])
            }
            guard pause > .zero else { continue }
            let wait = pause
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            } catch {
                return
            }
        }
    }
}

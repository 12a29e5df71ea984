import Foundation

/// Runs CPU-bound test work (training, cross-validation: seconds in a debug build) on a thread of
/// its own. On the cooperative pool it would hold one of its few threads (two on a 2-core
/// machine) for that long, and unrelated tests that await a deadline would starve and fail.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

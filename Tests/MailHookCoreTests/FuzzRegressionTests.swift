import Foundation
import MailHookFuzzTargets
import Testing

/// Every input kept under `Tests/Fuzz/regressions/<target>/` (crashes the fuzzers found, and the
/// hostile inputs that once stopped the server) runs through its target again: none may trap.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let root: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<8 where !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("Tests/Fuzz")
    }()

    static func inputs(_ folder: String, _ target: FuzzTarget) -> [URL] {
        let directory = root.appendingPathComponent("\(folder)/\(target.rawValue)")
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted().map { directory.appendingPathComponent($0) }
    }

    @Test("kept regressions and the seed corpus run through their targets", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) throws {
        let files = Self.inputs("regressions", target) + Self.inputs("corpus", target)
        #expect(!files.isEmpty)
        for file in files { target.run(Array(try Data(contentsOf: file))) }
    }
}

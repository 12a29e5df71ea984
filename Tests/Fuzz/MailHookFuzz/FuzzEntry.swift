import Foundation
import MailHookFuzzTargets

// Built two ways. With `-D FUZZING -sanitize=fuzzer,address` (Scripts/fuzz) libFuzzer supplies
// `main` and drives `LLVMFuzzerTestOneInput`; the target comes from MAILHOOK_FUZZ_TARGET.
// Built plainly, it replays files given on the command line: `mailhook-fuzz TARGET FILE…`.
// (Not main.swift: the compiler parses inactive branches too, and libFuzzer's build has no top level.)

#if FUZZING
nonisolated(unsafe) private var selected = FuzzTarget.json

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    selected = ProcessInfo.processInfo.environment["MAILHOOK_FUZZ_TARGET"].flatMap(FuzzTarget.init(rawValue:)) ?? .json
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    selected.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("usage: mailhook-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE…\n".utf8))
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            target.run(Array(data))
        }
        print("replayed \(arguments.count - 1) input(s) through \(target.rawValue)")
    }
}
#endif

import Foundation
import MailHookCore
import MailHookSchemas

/// Reads the trained model `classifier.modelFile` chooses, once at start-up.
public enum ClassifierModelLoader {
    /// The built-in model is well under 2 MB; a file far larger is a mistake, not a model.
    public static let maximumBytes = 64 << 20

    /// Nil for `none`; the error names the file and what is wrong with it.
    public static func load(_ choice: ClassifierModelChoice) throws -> ClassifierModel? {
        let url: URL
        switch choice {
        case .none:
            return nil
        case .builtin:
            guard let builtin = MailHookSchemas.builtinClassifierModel else { throw ClassifierModelError("the built-in model is missing from the resources") }
            url = builtin
        case .file(let path):
            url = URL(fileURLWithPath: path)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        guard let size else { throw ClassifierModelError("cannot read \(choice.text)") }
        guard size <= maximumBytes else { throw ClassifierModelError("\(choice.text) is larger than \(maximumBytes >> 20) MB") }
        guard let data = FileManager.default.contents(atPath: url.path) else { throw ClassifierModelError("cannot read \(choice.text)") }
        do {
            return try ClassifierModel.load(data)
        } catch let error as ClassifierModelError {
            throw ClassifierModelError("\(choice.text): \(error.reason)")
        }
    }
}

import Foundation

/// Multinomial logistic regression over sparse inputs, trained by full-batch gradient descent
/// with AdaGrad steps and L2 regularisation. Full batches in a fixed order make training
/// deterministic: the same examples give the same weights.
struct SoftmaxRegression: Sendable {
    struct Example: Sendable {
        var indices: [Int32]
        var values: [Double]
        var label: Int
    }

    struct Settings: Sendable, Equatable {
        var regularization = 0.01
        var learningRate = 0.1
        var epochs = 100
    }

    let labels: Int
    let dimension: Int
    /// Row-major: `weights[input * labels + label]`.
    private(set) var weights: [Double]
    private(set) var bias: [Double]

    init(labels: Int, dimension: Int, weights: [Double]? = nil, bias: [Double]? = nil) {
        self.labels = labels
        self.dimension = dimension
        self.weights = weights ?? Array(repeating: 0, count: labels * dimension)
        self.bias = bias ?? Array(repeating: 0, count: labels)
    }

    static func train(_ examples: [Example], labels: Int, dimension: Int, settings: Settings) -> SoftmaxRegression {
        var model = SoftmaxRegression(labels: labels, dimension: dimension)
        guard !examples.isEmpty else { return model }
        let n = Double(examples.count)
        var squared = [Double](repeating: 1e-8, count: model.weights.count)
        var squaredBias = [Double](repeating: 1e-8, count: labels)
        var gradient = [Double](repeating: 0, count: model.weights.count)
        var gradientBias = [Double](repeating: 0, count: labels)
        var p = [Double](repeating: 0, count: labels)
        let rate = settings.learningRate
        let l2 = settings.regularization
        for _ in 0..<settings.epochs {
            // Unsafe buffers: this loop is most of training's time, and bounds are fixed by construction.
            model.weights.withUnsafeMutableBufferPointer { w in
                gradient.withUnsafeMutableBufferPointer { g in
                    for i in 0..<g.count { g[i] = l2 * w[i] }
                    for k in 0..<labels { gradientBias[k] = 0 }
                    for example in examples {
                        example.indices.withUnsafeBufferPointer { indices in
                            example.values.withUnsafeBufferPointer { values in
                                for k in 0..<labels { p[k] = model.bias[k] }
                                for j in 0..<indices.count {
                                    let row = Int(indices[j]) * labels
                                    for k in 0..<labels { p[k] += values[j] * w[row + k] }
                                }
                                softmax(&p)
                                p[example.label] -= 1
                                for j in 0..<indices.count {
                                    let x = values[j] / n
                                    let row = Int(indices[j]) * labels
                                    for k in 0..<labels { g[row + k] += x * p[k] }
                                }
                            }
                        }
                        for k in 0..<labels { gradientBias[k] += p[k] / n }
                    }
                    squared.withUnsafeMutableBufferPointer { s in
                        for i in 0..<g.count where g[i] != 0 {
                            s[i] += g[i] * g[i]
                            w[i] -= rate * g[i] / s[i].squareRoot()
                        }
                    }
                }
            }
            for k in 0..<labels {
                squaredBias[k] += gradientBias[k] * gradientBias[k]
                model.bias[k] -= rate * gradientBias[k] / squaredBias[k].squareRoot()
            }
        }
        return model
    }

    func probabilities(_ indices: [Int32], _ values: [Double], into p: inout [Double]) {
        for k in 0..<labels { p[k] = bias[k] }
        for (j, index) in indices.enumerated() {
            let row = Int(index) * labels
            for k in 0..<labels { p[k] += values[j] * weights[row + k] }
        }
        Self.softmax(&p)
    }

    static func softmax(_ z: inout [Double]) {
        let top = z.max() ?? 0
        var sum = 0.0
        for k in z.indices {
            z[k] = exp(z[k] - top)
            sum += z[k]
        }
        for k in z.indices { z[k] /= sum }
    }

    func row(_ input: Int) -> [Double] { Array(weights[(input * labels)..<((input + 1) * labels)]) }
}

using ContinualTrainer.Engine.Tokenization;
using ContinualTrainer.Engine.Training;
using ContinualTrainer.Guard;

namespace ContinualTrainer.Demo;

/// <summary>
/// The data both runs of the demonstration share: the task's training and validation examples (split by
/// conversation), the general corpus's training stream (replay windows are cut from it), the guard's evaluation
/// data and the same data without the probes for the learning curves.
/// </summary>
/// <param name="Tokenizer">The model's tokenizer (the guard's probes are text).</param>
/// <param name="Train">Task examples trained on.</param>
/// <param name="Validation">Held-out task examples (from conversations never trained on).</param>
/// <param name="ReplayStream">The general corpus's training part as one token stream.</param>
/// <param name="Guard">What the guard evaluates before and after a run: held-out text, validation, probes.</param>
/// <param name="Curves">What every point of the curves measures: the guard's held-out tokens and validation examples, no probes (so the last point is the guard's "after").</param>
public sealed record DemoData(
    BpeTokenizer Tokenizer,
    IReadOnlyList<TrainingExample> Train,
    IReadOnlyList<TrainingExample> Validation,
    int[] ReplayStream,
    EvaluationData Guard,
    EvaluationData Curves)
{
    /// <summary>Loss-bearing tokens of the task's training examples.</summary>
    public long TrainDecisionTokens => Train.Sum(e => (long)e.DecisionCount);
}

using ContinualTrainer.Engine.Eval;
using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Training;

/// <summary>
/// Trains a <see cref="TransformerModel"/> on decision-token examples: full fine-tuning (gradients for every
/// weight in a second <see cref="ParameterTensors"/>) or LoRA (the base weights frozen, gradients only for the
/// adapters), in <see cref="TrainingMode.Full"/> or <see cref="TrainingMode.Frozen"/> mode, with gradient
/// accumulation over micro-batches, global-norm clipping and the given optimizer. The loss of a micro-batch is
/// the mean next-token cross-entropy over its decision tokens, with logits computed only at the positions that
/// predict one; forgetting guards add to it: the functional anchor (<see cref="AnchorWeight"/>, on examples with a
/// <see cref="TrainingExample.Reference"/>) and penalties on the parameters (<see cref="Regularizers"/>, e.g. EWC).
/// Arenas are sized by the largest micro-batch seen so far and reused; in frozen mode the trained
/// arena covers only the trained part of each row. For a fixed seed and thread count, results are bit-identical
/// from run to run.
/// </summary>
public sealed unsafe class TrainingSession : IDisposable
{
    private readonly ParameterTensors? parameterGradients;
    private readonly IReadOnlyList<OptimizerParameter> parameters;
    private ActivationTensors? trainedActs;
    private ActivationGradients? grads;
    private ActivationTensors? contextActs;
    private LoraActivations? trainedLora;
    private LoraActivations? contextLora;
    private KvCache? cache;
    private float[] losses = [];
    private float[] logSumExp = [];
    private float[] anchorWeights = [];     // (P)
    private float[] anchorKl = [];          // (P)
    private int[] anchorIds = [];           // (P, K)
    private float[] anchorLogProbs = [];    // (P, K)
    private float[] anchorLogRest = [];     // (P)

    /// <param name="model">The model; its weights are updated in place by full fine-tuning and never by LoRA.</param>
    /// <param name="options">Mode, clipping and weight decay.</param>
    /// <param name="createOptimizer">Builds the optimizer over the trainable parameters (owned by the session).</param>
    /// <param name="adapters">LoRA adapters to train (the method is LoRA); null for full fine-tuning.</param>
    public TrainingSession(TransformerModel model, TrainingOptions options,
        Func<IReadOnlyList<OptimizerParameter>, IOptimizer> createOptimizer, LoraAdapters? adapters = null)
    {
        options.Validate();
        if (adapters is not null && adapters.Model != model.Config)
            throw new ArgumentException("the LoRA adapters were made for a different model configuration", nameof(adapters));
        Model = model;
        Options = options;
        Adapters = adapters;
        if (adapters is null)
        {
            parameterGradients = new ParameterTensors(model.Config);
            parameters = OptimizerParameters.FromModel(model.Parameters, parameterGradients, options.WeightDecay);
        }
        else
        {
            parameters = adapters.Parameters(options.WeightDecay);
        }
        Optimizer = createOptimizer(parameters);
    }

    public TransformerModel Model { get; }

    public TrainingOptions Options { get; }

    /// <summary>The adapters being trained; null for full fine-tuning.</summary>
    public LoraAdapters? Adapters { get; }

    public IOptimizer Optimizer { get; }

    /// <summary>The gradients of every base weight (full fine-tuning); null for LoRA, where base weights have none.</summary>
    public ParameterTensors? ParameterGradients => parameterGradients;

    /// <summary>The trainable parameters as the optimizer sees them.</summary>
    public IReadOnlyList<OptimizerParameter> Parameters => parameters;

    /// <summary>
    /// When set, receives the wall time of every kernel of the trained forward and backward passes, plus
    /// <c>context_forward</c> (the whole frozen-context pass), <c>cross_entropy</c>, <c>zero_grad</c>,
    /// <c>clip</c> and <c>optimizer</c>.
    /// </summary>
    public KernelProfiler? Profiler { get; set; }

    /// <summary>
    /// Weight of the functional anchor: every decision row of an example with a <see cref="TrainingExample.Reference"/>
    /// adds AnchorWeight · KL(p_ref ‖ p_model) over the reference's top-k + rest buckets to its cross-entropy (the
    /// micro-batch loss stays a mean over decision rows). 0 (the default) turns the anchor off.
    /// </summary>
    public float AnchorWeight
    {
        get;
        set => field = value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "the anchor weight must be finite and ≥ 0");
    }

    /// <summary>Penalties on the parameters (e.g. <see cref="ElasticWeightConsolidation"/>) added to every step's averaged gradient, before clipping.</summary>
    public IList<IGradientRegularizer> Regularizers { get; } = new List<IGradientRegularizer>();

    /// <summary>Bytes of the activation, gradient and cache arenas allocated so far.</summary>
    public long ArenaBytes { get; private set; }

    /// <summary>
    /// One optimizer step over <paramref name="microBatches"/>: gradients are zeroed, each micro-batch adds the
    /// gradient of its own mean loss, the sum is averaged, the <see cref="Regularizers"/> add their gradients, the
    /// result is clipped (when <see cref="TrainingOptions.MaxGradNorm"/> is set) and handed to the optimizer with
    /// <paramref name="learningRate"/>. A non-finite gradient norm skips the update.
    /// </summary>
    public TrainingStepResult Step(IReadOnlyList<IReadOnlyList<TrainingExample>> microBatches, double learningRate)
    {
        if (microBatches.Count == 0) throw new ArgumentException("a step needs at least one micro-batch", nameof(microBatches));
        var tick = Start();
        ZeroGradients();
        Stop("zero_grad", tick);
        double loss = 0;
        long tokens = 0, lossTokens = 0;
        foreach (var microBatch in microBatches)
        {
            var plan = BatchPlan.Create(microBatch, Options.Mode);
            loss += AccumulateGradients(microBatch, plan);
            tokens += microBatch.Sum(e => (long)e.Tokens.Length);
            lossTokens += plan.LogitRows.Length;
        }
        tick = Start();
        Gradients.AverageMicroBatches(parameters, microBatches.Count);
        foreach (var regularizer in Regularizers) regularizer.AddGradient(parameters);
        var norm = Options.MaxGradNorm is { } maxNorm ? Gradients.ClipGlobalNorm(parameters, maxNorm) : Gradients.GlobalNorm(parameters);
        Stop("clip", tick);
        var applied = double.IsFinite(norm);
        if (applied)
        {
            tick = Start();
            Optimizer.Step(learningRate);
            Stop("optimizer", tick);
        }
        return new TrainingStepResult(loss / microBatches.Count, norm, applied, tokens, lossTokens);
    }

    /// <summary>One optimizer step over a single micro-batch.</summary>
    public TrainingStepResult Step(IReadOnlyList<TrainingExample> batch, double learningRate) => Step([batch], learningRate);

    /// <summary>
    /// Adds the gradient of <paramref name="microBatch"/>'s mean masked loss (with the anchor's term when
    /// <see cref="AnchorWeight"/> &gt; 0) to the current gradients (no optimizer step) and returns that loss.
    /// </summary>
    public double AccumulateGradients(IReadOnlyList<TrainingExample> microBatch) =>
        AccumulateGradients(microBatch, BatchPlan.Create(microBatch, Options.Mode));

    /// <summary>Sets every trainable gradient to zero.</summary>
    public void ZeroGradients()
    {
        if (Adapters is not null) Adapters.ZeroGradients();
        else Gradients.Zero(parameters);
    }

    /// <summary>
    /// The masked loss of <paramref name="examples"/> without gradients (validation): the mean cross-entropy over
    /// every decision token of every example, evaluated <paramref name="batchSize"/> examples at a time.
    /// </summary>
    public double EvaluateLoss(IReadOnlyList<TrainingExample> examples, int batchSize = 4)
    {
        var (mean, tokens) = MaskedLoss.Evaluate(Model, examples, batchSize, Adapters);
        if (tokens == 0) throw new ArgumentException("no example to evaluate", nameof(examples));
        return mean;
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        parameterGradients?.Dispose();
        trainedActs?.Dispose();
        grads?.Dispose();
        contextActs?.Dispose();
        trainedLora?.Dispose();
        contextLora?.Dispose();
        cache?.Dispose();
    }

    private double AccumulateGradients(IReadOnlyList<TrainingExample> examples, BatchPlan plan)
    {
        EnsureArenas(plan);
        var model = Model;
        if (trainedLora is not null) trainedLora.DropoutStep++;

        // frozen context: run once without gradient into the cache, which the trained part then attends to
        KvCache? store = null;
        if (Options.Mode == TrainingMode.Frozen)
        {
            store = cache!;
            store.Clear();
            if (plan.ContextWidth > 0)
            {
                var tick = Start();
                var context = new TokenBatch(plan.Rows, plan.ContextWidth);
                plan.FillContext(context, examples);
                model.Profiler = null;
                model.FillCache(contextActs!, context, store, contextLora);
                Stop("context_forward", tick);
            }
        }

        var batch = new TokenBatch(plan.Rows, plan.TrainedWidth);
        plan.FillTrained(batch, examples);
        model.Profiler = Profiler;
        try
        {
            model.Forward(trainedActs!, batch, plan.LogitRows, store, trainedLora);
            var tick = Start();
            var rows = plan.LogitRows.Length;
            var loss = CrossEntropySum(trainedActs!, plan);
            if (AnchorWeight > 0 && examples.Any(e => e.Reference is not null))
            {
                var k = FillAnchor(examples, rows);
                fixed (float* lse = logSumExp, weights = anchorWeights, kl = anchorKl, logProbs = anchorLogProbs, logRest = anchorLogRest)
                fixed (int* ids = anchorIds)
                {
                    AnchorKernel.Forward(kl, trainedActs!.Logits, lse, ids, logProbs, logRest, weights, rows, model.Config.VocabSize, k);
                    for (var i = 0; i < rows; i++) loss += weights[i] * (double)kl[i];
                    AnchorKernel.Backward(trainedActs.Logits, trainedActs.Logits, lse, plan.Targets, ids, logProbs, logRest, weights,
                        1f / rows, rows, model.Config.VocabSize, k);
                }
            }
            else
            {
                fixed (float* lse = logSumExp)
                {
                    CrossEntropy.Backward(trainedActs!.Logits, trainedActs.Logits, lse, plan.Targets, 1f / rows, rows, model.Config.VocabSize);
                }
            }
            loss /= rows;
            Stop("cross_entropy", tick);
            model.Backward(trainedActs, grads!, parameterGradients, batch, plan.LogitRows, store, trainedLora);
            return loss;
        }
        finally
        {
            model.Profiler = null;
        }
    }

    // Lays out the anchored examples' references row by row (unanchored rows get weight 0); returns their top-k.
    private int FillAnchor(IReadOnlyList<TrainingExample> examples, int rows)
    {
        var k = examples.First(e => e.Reference is not null).Reference!.TopK;
        if (anchorWeights.Length < rows || anchorIds.Length < rows * k)
        {
            anchorWeights = new float[rows];
            anchorKl = new float[rows];
            anchorLogRest = new float[rows];
            anchorIds = new int[rows * k];
            anchorLogProbs = new float[rows * k];
        }
        var row = 0;
        for (var b = 0; b < examples.Count; b++)
        {
            var (count, reference) = (examples[b].DecisionCount, examples[b].Reference);
            if (reference is null)
            {
                anchorWeights.AsSpan(row, count).Clear();
                anchorIds.AsSpan(row * k, count * k).Clear();
                anchorLogProbs.AsSpan(row * k, count * k).Clear();
                anchorLogRest.AsSpan(row, count).Clear();
            }
            else
            {
                if (reference.TopK != k)
                    throw new ArgumentException($"example {b} of the micro-batch has a top-{reference.TopK} reference, another one top-{k}: one micro-batch needs one top-k");
                anchorWeights.AsSpan(row, count).Fill(AnchorWeight);
                reference.Ids.CopyTo(anchorIds, row * k);
                reference.LogProbs.CopyTo(anchorLogProbs, row * k);
                reference.LogRest.CopyTo(anchorLogRest, row);
            }
            row += count;
        }
        return k;
    }

    // Sum of the per-row cross-entropies of the logits in `acts`; leaves the log-sum-exps in logSumExp.
    private double CrossEntropySum(ActivationTensors acts, BatchPlan plan)
    {
        var rows = plan.LogitRows.Length;
        if (losses.Length < rows)
        {
            losses = new float[rows];
            logSumExp = new float[rows];
        }
        double sum = 0;
        fixed (float* pl = losses, pe = logSumExp)
        {
            CrossEntropy.Forward(pl, pe, acts.Logits, plan.Targets, rows, Model.Config.VocabSize);
            for (var i = 0; i < rows; i++) sum += pl[i];
        }
        return sum;
    }

    /// <summary>
    /// The arenas a session in <paramref name="mode"/> grows to when it trains on <paramref name="microBatches"/> (what
    /// the training steps allocate, before allocating it): floats of the activations, their gradients, the context's
    /// arena and key/value cache, without the LoRA intermediates, and the largest trained and context token counts
    /// (rows x width) those intermediates scale with.
    /// </summary>
    public static (long Floats, long TrainedTokens, long ContextTokens) ArenaSize(ModelConfig config, TrainingMode mode,
        IEnumerable<IReadOnlyList<TrainingExample>> microBatches)
    {
        int rows = 0, width = 0, keys = 0, contextWidth = 1;
        foreach (var microBatch in microBatches)
        {
            var plan = BatchPlan.Create(microBatch, mode);
            rows = Math.Max(rows, plan.Rows);
            width = Math.Max(width, plan.TrainedWidth);
            if (mode == TrainingMode.Frozen)
            {
                keys = Math.Max(keys, plan.KeyWidth);
                contextWidth = Math.Max(contextWidth, plan.ContextWidth);
            }
        }
        if (rows == 0) return (0, 0, 0);
        var floats = ActivationTensors.Floats(config, rows, width, keepEveryLayer: true, keyCapacity: keys)
            + ActivationGradients.Floats(config, rows, width, keys);
        if (mode == TrainingMode.Frozen)
            floats += KvCache.Floats(config, rows, keys) + ActivationTensors.Floats(config, rows, contextWidth, maxLogitRows: 0, keyCapacity: keys);
        return (floats, (long)rows * width, mode == TrainingMode.Frozen ? (long)rows * contextWidth : 0);
    }

    // Grows the arenas to fit the plan (never shrinks them).
    private void EnsureArenas(BatchPlan plan)
    {
        var config = Model.Config;
        var rows = Math.Max(plan.Rows, trainedActs?.MaxBatch ?? 0);
        var keys = Options.Mode == TrainingMode.Frozen ? Math.Max(plan.KeyWidth, cache?.Capacity ?? 0) : 0;
        var width = Math.Max(plan.TrainedWidth, trainedActs?.MaxSequence ?? 0);
        if (trainedActs is null || rows > trainedActs.MaxBatch || width > trainedActs.MaxSequence || keys > trainedActs.KeyCapacity)
        {
            var step = trainedLora?.DropoutStep ?? 0;
            trainedActs?.Dispose();
            grads?.Dispose();
            trainedLora?.Dispose();
            trainedActs = Model.CreateActivations(rows, width, keepEveryLayer: true, keyCapacity: keys);
            grads = new ActivationGradients(config, rows, width, keys);
            trainedLora = Adapters?.CreateActivations(rows, width, training: true);
            if (trainedLora is not null) trainedLora.DropoutStep = step;
        }
        if (Options.Mode == TrainingMode.Frozen)
        {
            var contextWidth = Math.Max(1, Math.Max(plan.ContextWidth, contextActs?.MaxSequence ?? 0));
            if (cache is null || rows > cache.BatchSize || keys > cache.Capacity)
            {
                cache?.Dispose();
                cache = new KvCache(config, rows, keys);
            }
            if (contextActs is null || rows > contextActs.MaxBatch || contextWidth > contextActs.MaxSequence || keys > contextActs.KeyCapacity)
            {
                contextActs?.Dispose();
                contextLora?.Dispose();
                contextActs = Model.CreateActivations(rows, contextWidth, maxLogitRows: 0, keyCapacity: keys);
                contextLora = Adapters?.CreateActivations(rows, contextWidth, training: false);
            }
        }
        ArenaBytes = sizeof(float) * (trainedActs.FloatCount + grads!.FloatCount + (contextActs?.FloatCount ?? 0) + (cache?.FloatCount ?? 0)
            + (trainedLora?.FloatCount ?? 0) + (contextLora?.FloatCount ?? 0));
    }

    private long Start() => Profiler?.Start() ?? 0;

    private void Stop(string name, long started) => Profiler?.Stop(name, started);
}

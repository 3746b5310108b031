using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.Engine.Eval;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Tokenization;
using ContinualTrainer.Engine.Training;

namespace ContinualTrainer.Bootstrap;

/// <summary>
/// Builds a small base model from a general corpus, for a newcomer who has none: learns a byte-level BPE tokenizer
/// (with the ChatML special tokens and chat template, so the daemon renders conversations as ChatML) on the corpus's
/// training part, pre-trains a Llama decoder from random weights on random windows of it and of the same documents
/// rendered as ChatML conversations (<see cref="ChatFrames"/>, a <see cref="BootstrapOptions.ChatShare"/> of the windows; full training, AdamW,
/// warmup then cosine decay over the budget, gradient clipping), scores the held-out part, and writes a Hugging Face
/// model folder (config.json, generation_config.json, tokenizer files, model.safetensors in F32). Everything is
/// written into a temporary folder next to the target, flushed to disk and renamed into place last, so an interrupted
/// build leaves nothing half-written (a later build removes the temporary folders of an interrupted one; the caller
/// makes sure no two builds share a target).
/// </summary>
public sealed class BaseModelBuilder(BootstrapOptions options, TextWriter log)
{
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";

    /// <summary>The ChatML template of Qwen's base models, written to tokenizer_config.json.</summary>
    public const string ChatTemplate =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
        + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private const int LossSamples = 5;
    private const int EvaluationBatch = 8;
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Builds the model into <paramref name="targetDirectory"/>, which must not exist yet.</summary>
    public PretrainingReport Build(GeneralCorpus corpus, string targetDirectory, CancellationToken cancellationToken)
    {
        options.Validate();
        var target = Path.GetFullPath(targetDirectory);
        if (Directory.Exists(target)) throw new IOException($"{target}: already exists; init writes a new model folder there");
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        RemoveInterruptedBuilds(parent, Path.GetFileName(target));
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{RandomNumberGenerator.GetHexString(12, lowercase: true)}");
        Directory.CreateDirectory(temp);
        PretrainingReport report;
        try
        {
            report = BuildInto(corpus, temp, cancellationToken);
            PosixFiles.FlushDirectory(temp);
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
        Directory.Move(temp, target);
        PosixFiles.FlushDirectory(parent);
        return report with { Directory = target };
    }

    private PretrainingReport BuildInto(GeneralCorpus corpus, string directory, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var tokenizer = TrainTokenizer(corpus, directory, cancellationToken);
        var eos = tokenizer.TokenToId(ImEnd)!.Value;
        var training = corpus.TrainingTokens(tokenizer);
        if (training.Length < 2)
            throw new DatasetException($"general corpus {corpus.Path}: its training part is {training.Length} token(s) long; pre-training needs more text");
        var chat = tokenizer.Encode(string.Concat(ChatFrames.Render(corpus.TrainingDocuments, options.Seed)));
        var heldOut = tokenizer.Encode(corpus.HeldOutText());
        if (heldOut.Length > options.HeldOutTokens) heldOut = heldOut[..options.HeldOutTokens];

        var config = options.ModelConfig(tokenizer.VocabSize, eos);
        using var model = TransformerModel.CreateRandom(config, options.Seed);
        var window = Math.Min(options.SequenceLength, training.Length);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model: Llama, hidden {config.HiddenSize}, {config.NumLayers} layers, {config.NumHeads} heads, SwiGLU {config.IntermediateSize}, vocab {config.VocabSize}, "
            + $"{model.Parameters.Count / 1e6:F2}M parameters; {training.Length} training tokens, {options.BatchSize} windows of {window} per step, "
            + $"{options.ChatShare:P0} of them chat-framed, peak learning rate {options.LearningRate:G3}, {(options.Steps is { } s ? $"{s} steps" : $"{options.Minutes:G4} min")}"));

        var (steps, seen, first, last, seconds) = Pretrain(model, training, chat, window, cancellationToken);
        var perplexity = Perplexity.Evaluate(model, heldOut, Math.Min(options.PerplexityWindow, config.MaxPositionEmbeddings), EvaluationBatch);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"held-out perplexity {perplexity.Perplexity:F2} over {perplexity.TokensPredicted} tokens after {steps} steps ({ProgressLine.Clock(TimeSpan.FromSeconds(seconds))} of training, loss {first:F3} -> {last:F3})"));

        WriteModel(model, tokenizer, directory);
        return new PretrainingReport(directory, model.Parameters.Count, config.VocabSize, steps, training.Length, seen, first, last,
            perplexity.TokensPredicted, perplexity.Perplexity, seconds, clock.Elapsed.TotalSeconds);
    }

    // Learns the vocabulary on the training part, writes the tokenizer files and loads them back (the model is trained on exactly what the daemon will load).
    private BpeTokenizer TrainTokenizer(GeneralCorpus corpus, string directory, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var bpe = BpeTrainer.Train(corpus.TrainingDocuments.Select(d => d.Text + "\n\n"), new BpeTrainerOptions(options.VocabSize, [EndOfText, ImStart, ImEnd]), cancellationToken);
        TokenizerJsonWriter.Write(directory, bpe, new TokenizerConfigSettings(null, ImEnd, EndOfText, ChatTemplate, options.MaxPositionEmbeddings));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tokenizer: byte-level BPE, {bpe.VocabSize} tokens ({bpe.Merges.Count} merges, {bpe.SpecialTokenCount} special) learned in {clock.Elapsed.TotalSeconds:F1} s"));
        return BpeTokenizer.FromDirectory(directory);
    }

    // Each window is cut from the chat-framed stream with probability ChatShare, else from the plain training stream.
    private (int Steps, long Seen, double FirstLoss, double FinalLoss, double Seconds) Pretrain(TransformerModel model, int[] training, int[] chat, int window, CancellationToken cancellationToken)
    {
        using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Full, MaxGradNorm: 1.0, WeightDecay: 0.1),
            parameters => new AdamW(parameters, new AdamWOptions(Beta1: 0.9, Beta2: 0.95)));
        var random = new Random(options.Seed);
        var budget = TimeSpan.FromMinutes(options.Minutes);
        var progress = new ProgressLine(log);
        var firstLosses = new List<double>(LossSamples);
        var lastLosses = new Queue<double>(LossSamples);
        var batch = new TrainingExample[options.BatchSize];
        var clock = Stopwatch.StartNew();
        long seen = 0;
        var step = 0;
        var total = options.Steps ?? options.WarmupSteps + 1;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            step++;
            for (var b = 0; b < batch.Length; b++)
            {
                var source = chat.Length >= window && random.NextDouble() < options.ChatShare ? chat : training;
                batch[b] = TrainingExample.LanguageModel(new ArraySegment<int>(source, random.Next(source.Length - window + 1), window));
            }
            var result = session.Step(batch, Schedule(total).At(step));
            seen += result.Tokens;
            if (firstLosses.Count < LossSamples) firstLosses.Add(result.Loss);
            if (lastLosses.Count == LossSamples) lastLosses.Dequeue();
            lastLosses.Enqueue(result.Loss);

            var elapsed = clock.Elapsed;
            // the cosine runs over the steps the budget is expected to hold at the pace so far
            if (options.Steps is null) total = Math.Max(step + 1, (int)(budget / (elapsed / step)));
            var done = options.Steps is { } steps ? step >= steps : elapsed >= budget;
            progress.Step(step, done ? step : total, result.Loss, seen / elapsed.TotalSeconds, elapsed, force: done);
            if (done) return (step, seen, firstLosses.Average(), lastLosses.Average(), elapsed.TotalSeconds);
        }
    }

    private LearningRateSchedule Schedule(int totalSteps)
    {
        var warmup = Math.Min(options.WarmupSteps, totalSteps - 1);
        return new LearningRateSchedule(options.LearningRate, warmup, totalSteps, options.LearningRate / 10);
    }

    private static void WriteModel(TransformerModel model, BpeTokenizer tokenizer, string directory)
    {
        var c = model.Config;
        var endOfText = tokenizer.TokenToId(EndOfText)!.Value;
        WriteJson(Path.Combine(directory, HfCheckpoint.ConfigFileName), new
        {
            architectures = new[] { "LlamaForCausalLM" },
            model_type = "llama",
            vocab_size = c.VocabSize,
            hidden_size = c.HiddenSize,
            intermediate_size = c.IntermediateSize,
            num_hidden_layers = c.NumLayers,
            num_attention_heads = c.NumHeads,
            num_key_value_heads = c.NumKvHeads,
            head_dim = c.HeadDim,
            hidden_act = "silu",
            max_position_embeddings = c.MaxPositionEmbeddings,
            rms_norm_eps = double.Parse(c.RmsNormEps.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), // the float's shortest decimal, 1e-05
            rope_theta = c.RopeTheta,
            tie_word_embeddings = c.TieWordEmbeddings,
            attention_bias = false,
            mlp_bias = false,
            bos_token_id = (int?)null,
            eos_token_id = c.EosTokenId,
            pad_token_id = endOfText,
            torch_dtype = "float32",
        });
        WriteJson(Path.Combine(directory, "generation_config.json"), new
        {
            bos_token_id = (int?)null,
            eos_token_id = new[] { c.EosTokenId!.Value, endOfText },
            pad_token_id = endOfText,
        });
        var tensors = model.Parameters.Tensors.Select(t => new SafeTensorToWrite(t.Name, SafeTensorDType.F32, [.. t.Shape], t.Span.ToArray()));
        SafeTensorsWriter.Write(Path.Combine(directory, HfCheckpoint.SingleFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    private static void WriteJson<T>(string path, T value)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        JsonSerializer.Serialize(stream, value, JsonOptions);
        stream.WriteByte((byte)'\n');
        stream.Flush(flushToDisk: true);
    }

    private static void RemoveInterruptedBuilds(string parent, string name)
    {
        foreach (var stale in Directory.EnumerateDirectories(parent, $".{name}.tmp-*")) Directory.Delete(stale, recursive: true);
    }
}

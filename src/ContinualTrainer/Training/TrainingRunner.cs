using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.Dataset.Snapshots;
using ContinualTrainer.Engine.Analysis;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Training;
using ContinualTrainer.Guard;
using ContinualTrainer.Hosting;
using ContinualTrainer.Metrics;
using ContinualTrainer.State;
using Microsoft.Extensions.Logging;
using EngineTrainingOptions = ContinualTrainer.Engine.Training.TrainingOptions;

namespace ContinualTrainer.Training;

/// <summary>
/// One guarded training run, every phase recorded: build a dataset snapshot → evaluate the current model →
/// train → evaluate the trained model (as it will be stored) → the guard decides → publish a new version, or
/// discard it and make the next run gentler. This is where a run is accepted or rolled back.
/// Never two at once; cancellation ends the run as interrupted with nothing published.
/// </summary>
public sealed partial class TrainingRunner(
    DaemonOptions options,
    StateDatabase database,
    RunStore runs,
    CheckpointRepository checkpoints,
    RunMetrics metrics,
    PerplexityPostPublishCheck postPublishCheck,
    StatusBoard board,
    ILogger<TrainingRunner> logger)
{
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim oneAtATime = new(1, 1);

    /// <summary>The summary of the run (or of the skip) for <c>train --now --json</c> and the API.</summary>
    public async Task<RunSummary> RunAsync(RunTrigger trigger, string requestedBy, CancellationToken cancellationToken)
    {
        if (!await oneAtATime.WaitAsync(0, cancellationToken))
            return new RunSummary { Result = RunResult.Skipped.Name(), Detail = "another run is in progress" };
        try
        {
            return await RunExclusiveAsync(trigger, requestedBy, cancellationToken);
        }
        finally
        {
            oneAtATime.Release();
            board.SetPhase("idle");
            board.SetFact("run", null);
        }
    }

    private async Task<RunSummary> RunExclusiveAsync(RunTrigger trigger, string requestedBy, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var training = options.Training;
        metrics.MaxPerplexityIncrease.Set(options.Guard.MaxPerplexityIncrease);
        if (options.Model.Base is not { } baseModel)
            return await SkipAsync(trigger, requestedBy, "no model configured (Model:Base)", cancellationToken);

        var profile = TokenizerProfile.Load(baseModel, options.Dataset);
        await new ExampleDeriver(database, options.Dataset).DeriveAsync(profile, cancellationToken);
        var stats = await DatasetStatistics.ReadAsync(database, profile, cancellationToken);
        if (trigger != RunTrigger.Manual && stats.ExamplesWaiting < options.Schedule.MinNewExamples)
            return await SkipAsync(trigger, requestedBy, $"{stats.ExamplesWaiting} new examples, fewer than Schedule:MinNewExamples = {options.Schedule.MinNewExamples}", cancellationToken);

        var adaptation = await runs.ReadAdaptationAsync(options.Dataset.ReplayFraction, cancellationToken);
        var learningRate = training.LearningRate * adaptation.LearningRateFactor;
        var runId = await runs.StartAsync(trigger, requestedBy, SettingsJson(learningRate), adaptation, cancellationToken);
        if (trigger == RunTrigger.Manual) await runs.ClaimRequestsAsync(runId, cancellationToken);
        LogStarted(logger, runId, trigger.Name(), learningRate, adaptation.ReplayFraction);
        board.SetPhase("training");
        var summary = new RunSummary { RunId = runId, Result = RunResult.Running.Name() };
        string? staging = null;
        try
        {
            // 1. Snapshot
            board.SetFact("run", $"run {runId}: building the dataset snapshot");
            var corpus = options.Dataset.GeneralCorpus is { } corpusPath ? GeneralCorpus.Load(corpusPath, options.Dataset.GeneralHoldoutFraction) : null;
            var snapshotId = await new DatasetBuilder(database, profile, corpus).BuildAsync(training.Seed + runId, cancellationToken, adaptation.ReplayFraction);
            await runs.UpdateAsync(runId, cancellationToken, ("snapshot_id", snapshotId));
            var reader = await SnapshotReader.OpenAsync(database, snapshotId, profile, corpus, cancellationToken);
            var trainItems = reader.TrainingItems().ToList();

            // Memory: a run whose estimated peak exceeds the limit is refused before the model is even loaded.
            var estimate = MemoryEstimate.PeakMegabytes(ModelConfigLoader.Load(Path.Combine(baseModel, "config.json")), options,
                Pack([.. trainItems.Select(ToExample)], training.BatchTokens));
            summary = summary with { MemoryEstimateMb = estimate };
            if (estimate > training.MaxMemoryMb)
                throw new RunFailedException($"estimated peak memory {estimate} MB exceeds Training:MaxMemoryMb = {training.MaxMemoryMb} MB");
            var peakTracked = PeakMemory.TryReset();
            var data = await EvaluationDataAsync(reader, profile, corpus, snapshotId, cancellationToken);

            // 2. Evaluate the current model
            await runs.EnterPhaseAsync(runId, RunPhase.EvaluateBefore, $"{data.HeldOutTokens.Length} held-out tokens, {data.Validation.Count} validation, {data.Past.Count} past, {data.Probes.Count} probes", cancellationToken);
            board.SetFact("run", $"run {runId}: evaluating the current model");
            var current = checkpoints.Local.ReadCurrent() ?? throw new CheckpointException("no current model version (v0 is registered when the daemon starts)");
            var loaded = await checkpoints.LoadAsync(current, cancellationToken);
            using var model = ModelFiles.Load(loaded);
            var before = ModelEvaluator.Evaluate(model, profile.Tokenizer, data, cancellationToken);
            summary = summary with
            {
                VersionBefore = current, GeneralPerplexityBefore = before.GeneralPerplexity, DecisionLossBefore = NullIfNaN(before.DecisionLoss),
                ProbeAccuracyBefore = before.MeanProbeAccuracy,
            };
            await runs.UpdateAsync(runId, cancellationToken, ("version_before", current), ("eval_before", Json(before)));
            Report(before, "before", current);

            // 3. Train
            var adapters = training.IsLora ? CreateAdapters(model.Config, runId) : null;
            using var adaptersScope = adapters;
            var (trained, fisher) = await TrainAsync(runId, model, adapters, trainItems, learningRate, cancellationToken);
            summary = summary with { TrainTokens = trained };

            // 4. Evaluate the model as it will be stored
            await runs.EnterPhaseAsync(runId, RunPhase.EvaluateAfter, "", cancellationToken);
            board.SetFact("run", $"run {runId}: evaluating the trained model");
            staging = checkpoints.Local.CreateStagingDirectory($"run-{runId}");
            var kind = Save(model, adapters, loaded, staging);
            using var candidate = ModelFiles.Load(staging, kind, kind == CheckpointKind.Lora ? loaded : null);
            var after = ModelEvaluator.Evaluate(candidate, profile.Tokenizer, data, cancellationToken);
            summary = summary with
            {
                GeneralPerplexityAfter = after.GeneralPerplexity, DecisionLossAfter = NullIfNaN(after.DecisionLoss), ProbeAccuracyAfter = after.MeanProbeAccuracy,
            };
            summary = WithPeakMemory(summary, peakTracked);
            await runs.UpdateAsync(runId, cancellationToken, ("eval_after", Json(after)));
            Report(after, "after", current);
            metrics.PerplexityRatio.Set(after.GeneralPerplexity / before.GeneralPerplexity);

            // 5. Guard
            await runs.EnterPhaseAsync(runId, RunPhase.Guard, "", cancellationToken);
            var verdict = new GuardPolicy(options.Guard).Decide(before, after);
            await runs.UpdateAsync(runId, cancellationToken, ("verdict", Json(verdict)));
            LogVerdict(logger, runId, verdict.Accepted ? "accepted" : "rejected", verdict.Summary);
            if (!verdict.Accepted)
            {
                var gentler = adaptation.AfterRejection(options.Guard);
                await runs.SaveAdaptationAsync(gentler, cancellationToken);
                var detail = $"{verdict.Summary}; next run: learning rate x{gentler.LearningRateFactor:0.###}, replay {gentler.ReplayFraction:0.##}";
                return await FinishAsync(summary, RunResult.Rejected, detail, clock, cancellationToken);
            }

            // 6. Publish
            await runs.EnterPhaseAsync(runId, RunPhase.Publish, "", cancellationToken);
            using (var original = ModelFiles.Load(loaded)) ReportDisplacement(original, candidate);
            postPublishCheck.Prepare(data.HeldOutTokens, data.PerplexityWindow);
            var published = await checkpoints.PublishAsync(new PublishRequest
            {
                StagingDirectory = staging,
                Kind = kind,
                Parent = current,
                RunId = runId.ToString(CultureInfo.InvariantCulture),
                DatasetSnapshotId = snapshotId.ToString(CultureInfo.InvariantCulture),
                ConfigHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(SettingsJson(learningRate)))),
                EvaluationBefore = new CheckpointEvaluation { GeneralPerplexity = before.GeneralPerplexity },
                EvaluationAfter = new CheckpointEvaluation { GeneralPerplexity = after.GeneralPerplexity },
                GuardDecision = "accepted: " + verdict.Summary,
            }, CancellationToken.None); // a publication that started is finished: it is atomic and short
            if (!published.Accepted)
            {
                return await FinishAsync(summary with { VersionAfter = published.Version }, RunResult.Rejected,
                    $"v{published.Version} rolled back after publication: {published.RolledBackBecause}", clock, CancellationToken.None);
            }
            await new SnapshotStore(database).MarkAcceptedAsync(snapshotId, CancellationToken.None);
            if (fisher is not null) SaveFisher(fisher);
            await runs.SaveAdaptationAsync(adaptation.AfterAcceptance(options.Dataset.ReplayFraction), CancellationToken.None);
            await runs.UpdateAsync(runId, CancellationToken.None, ("version_after", published.Version));
            metrics.LastSuccess.Set(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
            board.SetFact(CheckpointStartupService.StatusFact, $"model v{published.Version}");
            return await FinishAsync(summary with { VersionAfter = published.Version }, RunResult.Accepted, $"published v{published.Version}", clock, CancellationToken.None);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await FinishAsync(summary, RunResult.Interrupted, "stopped before it finished; nothing was published", clock, CancellationToken.None);
        }
        catch (Exception e) when (e is RunFailedException or DatasetException or GuardException or CheckpointException or IOException
                                   or InvalidDataException or ModelConfigException or HfCheckpointException)
        {
            LogFailed(logger, runId, e.Message);
            return await FinishAsync(summary, RunResult.Failed, e.Message.ReplaceLineEndings(" "), clock, CancellationToken.None);
        }
        finally
        {
            if (staging is not null && Directory.Exists(staging)) checkpoints.Local.Delete(staging);
        }
    }

    /// <summary>The online Fisher estimate of EWC, kept across runs (written when a run is accepted).</summary>
    private string FisherPath => Path.Combine(options.Paths.State, "ewc", "fisher.safetensors");

    /// <summary>Trains on the snapshot's items; returns the tokens seen and the run's EWC Fisher estimate (null without EWC).</summary>
    private async Task<(long Tokens, FisherInformation? Fisher)> TrainAsync(long runId, TransformerModel model, LoraAdapters? adapters,
        IReadOnlyList<TrainingItem> snapshotItems, double learningRate, CancellationToken cancellationToken)
    {
        var training = options.Training;
        var plain = snapshotItems.Select(ToExample).ToList();
        var replay = Enumerable.Range(0, snapshotItems.Count).Where(i => snapshotItems[i].Kind == SnapshotItemKind.Replay).ToList();
        var items = plain;
        if (training.AnchorWeight > 0 && replay.Count > 0)
        {
            if (training.AnchorTopK >= model.Config.VocabSize)
                throw new RunFailedException($"Training:AnchorTopK = {training.AnchorTopK} must be smaller than the vocabulary ({model.Config.VocabSize})");
            board.SetFact("run", $"run {runId}: caching the anchor's reference distributions");
            var anchored = FunctionalAnchor.Attach(model, adapters, [.. replay.Select(i => plain[i])], training.AnchorTopK);
            items = [.. plain];
            for (var j = 0; j < replay.Count; j++) items[replay[j]] = anchored[j];
        }
        var microBatches = Pack(items, training.BatchTokens);
        var stepsPerEpoch = (microBatches.Count + training.GradientAccumulation - 1) / training.GradientAccumulation;
        var totalSteps = Math.Max(1, stepsPerEpoch * training.Epochs);
        var schedule = new LearningRateSchedule(learningRate, (int)Math.Round(training.WarmupFraction * totalSteps), totalSteps,
            learningRate * training.MinLearningRateFraction);
        await runs.EnterPhaseAsync(runId, RunPhase.Train, $"{items.Count} sequences, {microBatches.Count} micro-batches, {totalSteps} steps", cancellationToken);
        await runs.UpdateAsync(runId, cancellationToken, ("total_steps", (long)totalSteps));
        if (training.Threads > 0) Parallelism.SetThreads(training.Threads);

        using var session = new TrainingSession(model,
            new EngineTrainingOptions(training.Mode == "full" ? TrainingMode.Full : TrainingMode.Frozen, training.MaxGradNorm > 0 ? training.MaxGradNorm : null, training.WeightDecay),
            CreateOptimizer, adapters);
        FisherInformation? fisher = null;
        if (training.EwcWeight > 0)
        {
            board.SetFact("run", $"run {runId}: estimating the Fisher information for EWC");
            var fresh = replay.Count > 0 ? FisherInformation.Estimate(session, [.. replay.Take(training.EwcBatches).Select(i => plain[i])]) : null;
            fisher = FisherInformation.Combine(ReadFisher(session.Parameters), fresh, training.EwcDecay);
            if (fisher is not null) session.Regularizers.Add(new ElasticWeightConsolidation(session.Parameters, fisher, training.EwcWeight));
            LogEwc(logger, runId, fresh?.Windows ?? 0, fisher?.Windows ?? 0);
        }
        if (training.AnchorWeight > 0 && replay.Count > 0) session.AnchorWeight = (float)training.AnchorWeight;
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        long tokens = 0;
        var step = 0;
        for (var epoch = 0; epoch < training.Epochs; epoch++)
        {
            for (var first = 0; first < microBatches.Count; first += training.GradientAccumulation)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var group = microBatches.Skip(first).Take(training.GradientAccumulation).ToList();
                step++;
                var result = session.Step(group, schedule.At(step));
                tokens += result.Tokens;
                if (!double.IsFinite(result.Loss) || !result.Applied)
                    throw new RunFailedException($"non-finite loss or gradient at step {step} of {totalSteps} (loss {result.Loss}, gradient norm {result.GradientNorm})");
                metrics.TrainingLoss.Set(result.Loss);
                var tokensPerSecond = tokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                metrics.TokensPerSecond.Set(tokensPerSecond);
                var eta = TimeSpan.FromSeconds(Math.Round(clock.Elapsed.TotalSeconds / step * (totalSteps - step)));
                board.SetFact("run", $"run {runId}: step {step}/{totalSteps}, loss {result.Loss:F3}, {tokensPerSecond:F0} tokens/s, ETA {eta:hh\\:mm\\:ss}");
                if (clock.Elapsed - lastReport >= ProgressInterval || step == totalSteps)
                {
                    lastReport = clock.Elapsed;
                    LogProgress(logger, runId, step, totalSteps, result.Loss, tokensPerSecond, eta);
                    await runs.UpdateAsync(runId, cancellationToken, ("step", (long)step), ("last_loss", result.Loss),
                        ("tokens_per_s", tokensPerSecond), ("train_tokens", tokens));
                }
            }
        }
        return (tokens, fisher);
    }

    /// <summary>Keeps the accepted run's Fisher estimate for the next run; a failure to write it does not undo the publication.</summary>
    private void SaveFisher(FisherInformation fisher)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FisherPath)!);
            fisher.Save(FisherPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogFisherNotSaved(logger, FisherPath, e.Message);
        }
    }

    /// <summary>The stored Fisher estimate when it fits these parameters; null when there is none, or it is unreadable or for other parameters.</summary>
    private FisherInformation? ReadFisher(IReadOnlyList<OptimizerParameter> parameters)
    {
        if (!File.Exists(FisherPath)) return null;
        try
        {
            var stored = FisherInformation.Load(FisherPath);
            if (stored.Matches(parameters)) return stored;
            LogFisherDropped(logger, FisherPath, "it was estimated for other trainable parameters");
        }
        catch (SafeTensorsFormatException e)
        {
            LogFisherDropped(logger, FisherPath, e.Message);
        }
        return null;
    }

    private IOptimizer CreateOptimizer(IReadOnlyList<OptimizerParameter> parameters) => options.Training.Optimizer switch
    {
        "apollo" => new Apollo(parameters, ApolloOptions.Default with { Rank = options.Training.ApolloRank, Seed = options.Training.Seed }),
        "apollo-mini" => new Apollo(parameters, ApolloOptions.Mini with { Seed = options.Training.Seed }),
        _ => new AdamW(parameters),
    };

    private LoraAdapters CreateAdapters(ModelConfig config, long runId)
    {
        var t = options.Training;
        var lora = new LoraConfig(t.LoraRank, t.LoraAlpha, t.LoraTargets, t.UseRsLora, 0, unchecked(t.Seed + (int)runId));
        lora.Validate();
        var adapters = new LoraAdapters(config, lora);
        adapters.InitializeRandom();
        return adapters;
    }

    /// <summary>Writes what the run produced into the staging directory, as the store will keep it.</summary>
    private CheckpointKind Save(TransformerModel model, LoraAdapters? adapters, LoadedVersion from, string staging)
    {
        var configuration = ModelFiles.ConfigurationDirectory(from);
        var dtype = options.Checkpoints.WeightsDType;
        if (adapters is null)
        {
            ModelFiles.SaveFull(model, configuration, staging, dtype);
            return CheckpointKind.Full;
        }
        if (options.Checkpoints.MergedLoraWeights)
        {
            using var merged = ModelFiles.Load(from);
            adapters.Merge(merged.Parameters);
            ModelFiles.SaveLora(adapters, merged, configuration, staging, dtype);
        }
        else
        {
            ModelFiles.SaveLora(adapters, null, configuration, staging, dtype);
        }
        return CheckpointKind.Lora;
    }

    private async Task<EvaluationData> EvaluationDataAsync(SnapshotReader reader, TokenizerProfile profile, GeneralCorpus? corpus, long snapshotId, CancellationToken cancellationToken)
    {
        var guard = options.Guard;
        string heldOutText;
        if (guard.GeneralHoldout is { } holdout) heldOutText = GeneralCorpus.Load(holdout, 1.0).HeldOutText();
        else heldOutText = corpus?.HeldOutText() ?? throw new GuardException("no held-out general text: set Dataset:GeneralCorpus or Guard:GeneralHoldout");
        var tokens = profile.Tokenizer.Encode(heldOutText);
        if (tokens.Length > guard.MaxHoldoutTokens) tokens = tokens[..guard.MaxHoldoutTokens];
        var probes = guard.ProbeFile is { } probeFile ? ProbeSet.Load(probeFile) : ProbeSet.FromText(heldOutText, guard.ProbesPerCategory, options.Training.Seed);
        var past = new List<TrainingExample>();
        foreach (var accepted in await new SnapshotStore(database).AcceptedIdsAsync(profile.Fingerprint, cancellationToken))
        {
            if (accepted == snapshotId) continue;
            var earlier = await SnapshotReader.OpenAsync(database, accepted, profile, corpus, cancellationToken);
            past.AddRange(earlier.ValidationItems().Select(ToExample));
        }
        return new EvaluationData(tokens, guard.PerplexityWindow, reader.ValidationItems().Select(ToExample).ToList(), past, probes);
    }

    private void ReportDisplacement(TransformerModel original, TransformerModel trained)
    {
        var groups = new Dictionary<string, List<(double Displacement, int Rank)>>(StringComparer.Ordinal);
        var layers = trained.Config.NumLayers;
        foreach (var layer in new[] { 0, layers / 2, layers - 1 }.Distinct())
        {
            foreach (var module in new[] { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj" })
            {
                var name = $"model.layers.{layer}.{module}.weight";
                var (a, b) = (original.Parameters[name], trained.Parameters[name]);
                var displacement = WeightChange.RelativeDisplacement(a.Span, b.Span);
                var rank = WeightChange.EffectiveRankOfChange(a.Span, b.Span, (int)a.Shape[0], (int)a.Shape[1], maxRank: 32);
                var key = module.Split('.')[1];
                if (!groups.TryGetValue(key, out var list)) groups[key] = list = [];
                list.Add((displacement, rank));
            }
        }
        foreach (var (module, values) in groups)
        {
            metrics.Displacement.WithLabels(module).Set(values.Average(v => v.Displacement));
            metrics.EffectiveRank.WithLabels(module).Set(values.Average(v => v.Rank));
        }
    }

    private void Report(EvaluationReport report, string phase, int version)
    {
        metrics.GeneralPerplexity.WithLabels("v" + version.ToString(CultureInfo.InvariantCulture), phase).Set(report.GeneralPerplexity);
        metrics.DecisionLoss.WithLabels(phase).Set(report.DecisionLoss);
        foreach (var (category, accuracy) in report.ProbeAccuracy) metrics.ProbeAccuracy.WithLabels(category, phase).Set(accuracy);
    }

    private async Task<RunSummary> SkipAsync(RunTrigger trigger, string requestedBy, string why, CancellationToken cancellationToken)
    {
        var adaptation = await runs.ReadAdaptationAsync(options.Dataset.ReplayFraction, cancellationToken);
        var runId = await runs.StartAsync(trigger, requestedBy, SettingsJson(options.Training.LearningRate), adaptation, cancellationToken);
        if (trigger == RunTrigger.Manual) await runs.ClaimRequestsAsync(runId, cancellationToken);
        LogSkipped(logger, runId, why);
        return await FinishAsync(new RunSummary { RunId = runId, Result = RunResult.Running.Name() }, RunResult.Skipped, why, Stopwatch.StartNew(), cancellationToken);
    }

    private async Task<RunSummary> FinishAsync(RunSummary summary, RunResult result, string detail, Stopwatch clock, CancellationToken cancellationToken)
    {
        await runs.FinishAsync(summary.RunId, result, detail, cancellationToken);
        metrics.Runs.WithLabels(result.Name()).Inc();
        if (result != RunResult.Skipped) metrics.Duration.Observe(clock.Elapsed.TotalSeconds);
        LogFinished(logger, summary.RunId, result.Name(), clock.Elapsed.TotalSeconds, detail);
        return summary with { Result = result.Name(), Seconds = Math.Round(clock.Elapsed.TotalSeconds, 3), Detail = detail };
    }

    /// <summary>The run's measured peak (resident high-water mark since the run started, when the kernel lets it be reset), logged beside the estimate.</summary>
    private RunSummary WithPeakMemory(RunSummary summary, bool tracked)
    {
        if (!tracked || summary.MemoryEstimateMb is not { } estimate) return summary;
        var peak = (long)Math.Ceiling(PeakMemory.Megabytes());
        LogMemory(logger, summary.RunId, peak, estimate);
        return summary with { MemoryPeakMb = peak };
    }

    /// <summary>Greedy packing in snapshot order: a micro-batch grows while rows × longest row stays within the token budget.</summary>
    public static List<IReadOnlyList<TrainingExample>> Pack(IReadOnlyList<TrainingExample> items, int batchTokens)
    {
        var batches = new List<IReadOnlyList<TrainingExample>>();
        var current = new List<TrainingExample>();
        var longest = 0;
        foreach (var item in items)
        {
            var width = Math.Max(longest, item.Tokens.Length);
            if (current.Count > 0 && (current.Count + 1) * width > batchTokens)
            {
                batches.Add(current);
                current = [];
                width = item.Tokens.Length;
            }
            current.Add(item);
            longest = width;
        }
        if (current.Count > 0) batches.Add(current);
        return batches;
    }

    private static TrainingExample ToExample(TrainingItem item) => TrainingExample.WithDecisions(item.Tokens, [(item.LossStart, item.LossLength)]);

    private string SettingsJson(double learningRate) => JsonSerializer.Serialize(new
    {
        training = options.Training with { LearningRate = learningRate },
        guard = options.Guard,
        replay_fraction = options.Dataset.ReplayFraction,
        rehearsal_fraction = options.Dataset.RehearsalFraction,
    }, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, JsonOptions);

    private static double? NullIfNaN(double value) => double.IsNaN(value) ? null : value;

    [LoggerMessage(Level = LogLevel.Information, Message = "run {RunId} started ({Trigger}): learning rate {LearningRate:G3}, replay {Replay:0.##}")]
    private static partial void LogStarted(ILogger logger, long runId, string trigger, double learningRate, double replay);

    [LoggerMessage(Level = LogLevel.Information, Message = "run {RunId}: step {Step}/{Total}, loss {Loss:F4}, {TokensPerSecond:F0} tokens/s, ETA {Eta}")]
    private static partial void LogProgress(ILogger logger, long runId, int step, int total, double loss, double tokensPerSecond, TimeSpan eta);

    [LoggerMessage(Level = LogLevel.Information, Message = "run {RunId}: EWC Fisher from {Fresh} new replay windows, {Total} counting earlier runs")]
    private static partial void LogEwc(ILogger logger, long runId, long fresh, long total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the stored EWC Fisher estimate {Path} is not used and will be replaced: {Reason}")]
    private static partial void LogFisherDropped(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not write the EWC Fisher estimate {Path}: {Reason}")]
    private static partial void LogFisherNotSaved(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "run {RunId} {Decision}: {Summary}")]
    private static partial void LogVerdict(ILogger logger, long runId, string decision, string summary);

    [LoggerMessage(Level = LogLevel.Error, Message = "run {RunId} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, long runId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "run {RunId} skipped: {Reason}")]
    private static partial void LogSkipped(ILogger logger, long runId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "run {RunId}: peak memory {Peak} MB (estimated {Estimate} MB)")]
    private static partial void LogMemory(ILogger logger, long runId, long peak, long estimate);

    [LoggerMessage(Level = LogLevel.Information, Message = "run {RunId} {Result} after {Seconds:F1} s: {Detail}")]
    private static partial void LogFinished(ILogger logger, long runId, string result, double seconds, string detail);
}

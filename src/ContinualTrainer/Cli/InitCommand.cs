using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using ContinualTrainer.Bootstrap;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.Hosting;
using ContinualTrainer.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContinualTrainer.Cli;

/// <summary>
/// <c>continual-trainer init</c>: gives a state folder its v0. With <c>Model:Base</c> configured, registers that model;
/// otherwise builds a small base model here (<see cref="BaseModelBuilder"/>) from a general English corpus
/// (<see cref="DebianCorpus"/> or <c>--corpus</c>), writes the corpus as the default general corpus and the model as the
/// default <c>Model:Base</c>, and registers it. Does nothing when v0 exists. SIGINT/SIGTERM stop the build with nothing
/// half-written.
/// </summary>
public static class InitCommand
{
    private static readonly Option<FileInfo[]> Corpus = new("--corpus")
    {
        Description = "Pre-train on this text file (plain or .gz, UTF-8; repeatable) instead of the Debian Reference and the fortune files",
        HelpName = "FILE",
        AllowMultipleArgumentsPerToken = false,
    };

    private static readonly Option<double> Minutes = new("--minutes") { Description = "Pre-training time budget", DefaultValueFactory = _ => new BootstrapOptions().Minutes };
    private static readonly Option<int?> Steps = new("--steps") { Description = "Pre-train for exactly N optimizer steps instead of --minutes", HelpName = "N" };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of the weights and of the training windows", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> Vocab = new("--vocab") { Description = "Tokenizer vocabulary size (special tokens included)", DefaultValueFactory = _ => new BootstrapOptions().VocabSize };
    private static readonly Option<int> Hidden = new("--hidden") { Description = "Hidden width of the model (a multiple of 32)", DefaultValueFactory = _ => new BootstrapOptions().HiddenSize };
    private static readonly Option<int> Layers = new("--layers") { Description = "Decoder layers of the model", DefaultValueFactory = _ => new BootstrapOptions().Layers };
    private static readonly Option<double> LearningRate = new("--learning-rate") { Description = "Peak learning rate of pre-training", DefaultValueFactory = _ => new BootstrapOptions().LearningRate };

    /// <summary>The verb, looking for the default corpus where Debian installs it.</summary>
    public static Command Create() => Create(DebianCorpus.Installed);

    /// <param name="sources">Where the default corpus is looked for.</param>
    public static Command Create(DebianCorpus sources)
    {
        var command = new Command("init",
            "Give this state folder its base model (v0), once. With Model:Base set, that model is registered as v0. Without it, a small "
            + "Llama model is pre-trained here for a few minutes on 2 cores, on a general English corpus: the Debian Reference and the "
            + $"fortune files ({DebianCorpus.InstallCommand}) or --corpus. Its own byte-level BPE tokenizer is learned from that corpus, "
            + "with ChatML special tokens. The cleaned corpus is written to STATE/corpus/general.txt and the model to STATE/models/base; "
            + "when Dataset:GeneralCorpus and Model:Base are not set they default to these, so 'continual-trainer run' trains on its own "
            + "afterwards. Progress goes to stderr. When v0 exists, nothing is done. Ctrl+C stops the build with nothing half-written.");
        foreach (var option in new Option[] { Corpus, Minutes, Steps, Seed, Vocab, Hidden, Layers, LearningRate }) command.Options.Add(option);
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, sources, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parseResult, DebianCorpus sources, CancellationToken cancellationToken)
    {
        var bootstrap = ReadBootstrapOptions(parseResult);
        var options = DaemonOptionsLoader.Load(parseResult.GetValue(GlobalOptions.Config), parseResult.GetValue(GlobalOptions.State));
        bootstrap = bootstrap with { HeldOutTokens = options.Guard.MaxHoldoutTokens, PerplexityWindow = options.Guard.PerplexityWindow };
        var output = parseResult.InvocationConfiguration.Output;
        var log = parseResult.InvocationConfiguration.Error;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        Directory.CreateDirectory(options.Paths.State);
        var database = new StateDatabase(options.Paths.Database);
        await database.MigrateAsync(stop.Token);
        var ssh = options.Checkpoints.Ssh is { } s ? new SshCheckpointStore(s) : null;
        var repository = new CheckpointRepository(options.Checkpoints, new CheckpointLedger(database), ssh, NullLogger<CheckpointRepository>.Instance);
        try
        {
            if (await repository.Ledger.GetAsync(0, stop.Token) is { } existing)
            {
                var source = (await repository.ReadManifestAsync(0, stop.Token)).Source;
                output.WriteLine($"v0 exists already: {Describe(existing)}{(source is null ? "" : $", copied from {source}")}; nothing to do");
                return ExitCodes.Success;
            }
            if (options.Model.Base is { } configured)
            {
                var version = await repository.RegisterBaseAsync(configured, stop.Token);
                output.WriteLine($"registered {configured} as v0 ({Describe(version)}); no pre-training");
                return ExitCodes.Success;
            }
            return await BuildAsync(parseResult, sources, bootstrap, options, repository, output, log, stop.Token);
        }
        catch (CheckpointException e)
        {
            throw new CliException(e.Message);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            log.WriteLine("init interrupted before v0 was registered; nothing half-written is left; run init again");
            return ExitCodes.Failure;
        }
    }

    private static async Task<int> BuildAsync(ParseResult parseResult, DebianCorpus sources, BootstrapOptions bootstrap, DaemonOptions options,
        CheckpointRepository repository, TextWriter output, TextWriter log, CancellationToken cancellationToken)
    {
        var given = parseResult.GetValue(Corpus) ?? [];
        foreach (var file in given.Where(f => !f.Exists)) throw new CliException($"--corpus {file.FullName}: no such file");
        var files = given.Length > 0 ? given.Select(f => f.FullName).ToList() : sources.ExistingFiles();
        if (files.Count == 0) throw new CliException(sources.MissingMessage());

        using var instance = InstanceLock.TryAcquire(options.Paths.LockFile, out var holder)
            ?? throw new CliException($"a daemon{(holder is { } pid ? $" (pid {pid})" : "")} runs on {options.Paths.State}; stop it, run init, then start it again");
        var paths = options.Paths;
        if (Directory.Exists(paths.BaseModel))
            throw new CliException($"{paths.BaseModel} exists but holds no config.json; remove it and run init again");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var documents = CorpusAssembler.ReadDocuments(files, cancellationToken);
        CorpusAssembler.Write(paths.GeneralCorpus, documents);
        var corpus = GeneralCorpus.Load(paths.GeneralCorpus, options.Dataset.GeneralHoldoutFraction);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"corpus: {documents.Count} documents from {files.Count} file(s), {new FileInfo(paths.GeneralCorpus).Length / 1e6:F2} MB, "
            + $"{corpus.HeldOutDocuments.Count} held out -> {paths.GeneralCorpus}"));

        var report = new BaseModelBuilder(bootstrap, log).Build(corpus, paths.BaseModel, cancellationToken);
        var version = await repository.RegisterBaseAsync(paths.BaseModel, cancellationToken);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"registered {paths.BaseModel} as v0 ({Describe(version)}): {report.Parameters / 1e6:F2}M parameters, vocab {report.VocabSize}, "
            + $"held-out perplexity {report.HeldOutPerplexity:F2} after {report.Steps} steps ({report.TokensPerSecond:F0} tokens/s); "
            + $"init took {ProgressLine.Clock(clock.Elapsed)}"));
        output.WriteLine($"general corpus: {paths.GeneralCorpus}; next: continual-trainer run");
        return ExitCodes.Success;
    }

    private static BootstrapOptions ReadBootstrapOptions(ParseResult parseResult)
    {
        var bootstrap = new BootstrapOptions
        {
            Minutes = parseResult.GetValue(Minutes),
            Steps = parseResult.GetValue(Steps),
            Seed = parseResult.GetValue(Seed),
            VocabSize = parseResult.GetValue(Vocab),
            HiddenSize = parseResult.GetValue(Hidden),
            Layers = parseResult.GetValue(Layers),
            LearningRate = parseResult.GetValue(LearningRate),
        };
        try
        {
            bootstrap.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            var option = OptionOf(e.ParamName);
            var value = parseResult.GetResult(option)?.Tokens.FirstOrDefault()?.Value;
            throw new CliException($"{option.Name} {value} {e.Message.Split(" (Parameter")[0]}", ExitCodes.Usage);
        }
        return bootstrap;
    }

    private static Option OptionOf(string? parameter) => parameter switch
    {
        nameof(BootstrapOptions.Minutes) => Minutes,
        nameof(BootstrapOptions.Steps) => Steps,
        nameof(BootstrapOptions.VocabSize) => Vocab,
        nameof(BootstrapOptions.HiddenSize) => Hidden,
        nameof(BootstrapOptions.Layers) => Layers,
        nameof(BootstrapOptions.LearningRate) => LearningRate,
        _ => throw new ArgumentOutOfRangeException(nameof(parameter), parameter, "not a setting init takes from its command line"),
    };

    private static string Describe(CheckpointVersion version) =>
        string.Create(CultureInfo.InvariantCulture, $"{version.FileCount} files, {version.Bytes} bytes, recorded {CheckpointLedger.FormatTime(version.CreatedUtc)}");
}

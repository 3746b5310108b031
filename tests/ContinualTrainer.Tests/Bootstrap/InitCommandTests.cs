using System.CommandLine;
using ContinualTrainer.Bootstrap;
using ContinualTrainer.Cli;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.Dataset.Rendering;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Tokenization;
using ContinualTrainer.Tests.Checkpoints;
using ContinualTrainer.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace ContinualTrainer.Tests.Bootstrap;

public sealed class InitCommandTests
{
    // A model small enough to build in a second or two: 1 layer of width 32, a 300-token vocabulary, 3 steps.
    private static readonly string[] Tiny = ["--steps", "3", "--vocab", "300", "--hidden", "32", "--layers", "1"];

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static DaemonOptions Defaults(string state) =>
        DaemonOptionsLoader.Bind(new ConfigurationBuilder().Build(), null, state);

    [Fact]
    public async Task Init_builds_a_loadable_model_registers_it_as_v0_and_a_second_init_changes_nothing()
    {
        using var dir = new TempDir();
        var corpus = dir.Write("corpus.txt", SmallCorpus.Text(60));
        var state = dir.File("state");

        var (code, stdout, stderr) = await Run(["init", "--state", state, "--corpus", corpus, .. Tiny]);

        Assert.True(code == 0, stderr);
        var paths = Defaults(state).Paths;
        Assert.Contains($"registered {paths.BaseModel} as v0", stdout);
        Assert.Contains("held-out perplexity", stderr);
        using (var model = TransformerModel.Load(paths.BaseModel))
        {
            Assert.Equal((ModelArchitecture.Llama, 32, 1, true), (model.Config.Architecture, model.Config.HiddenSize, model.Config.NumLayers, model.Config.TieWordEmbeddings));
            var tokenizer = BpeTokenizer.FromDirectory(paths.BaseModel);
            Assert.Equal(tokenizer.VocabSize, model.Config.VocabSize);
            Assert.Equal(tokenizer.TokenToId("<|im_end|>"), model.Config.EosTokenId);
            const string text = "The cat finds a héron 🐦 near the hill.\n\n\tnew words 123";
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
            Assert.Equal(ChatFormat.ChatMl, TokenizerProfile.Load(paths.BaseModel, new DatasetOptions()).Renderer.Format);
        }
        var written = GeneralCorpus.Load(paths.GeneralCorpus, 0.1);
        Assert.Equal(60, written.TrainingDocuments.Count + written.HeldOutDocuments.Count);

        var (listCode, list, _) = await Run("checkpoints", "list", "--state", state);
        Assert.Equal(0, listCode);
        Assert.Matches(@"\nv0 +base +- .* current", list);

        var modelTime = File.GetLastWriteTimeUtc(Path.Combine(paths.BaseModel, "model.safetensors"));
        var corpusTime = File.GetLastWriteTimeUtc(paths.GeneralCorpus);
        var (again, againOut, againErr) = await Run(["init", "--state", state, "--corpus", corpus, .. Tiny]);
        Assert.Equal((0, ""), (again, againErr));
        Assert.StartsWith("v0 exists already: 5 files", againOut);
        Assert.Contains($"copied from {paths.BaseModel}; nothing to do", againOut);
        Assert.Equal(modelTime, File.GetLastWriteTimeUtc(Path.Combine(paths.BaseModel, "model.safetensors")));
        Assert.Equal(corpusTime, File.GetLastWriteTimeUtc(paths.GeneralCorpus));
    }

    [Fact]
    public async Task After_init_Model_Base_and_Dataset_GeneralCorpus_default_to_its_outputs()
    {
        using var dir = new TempDir();
        var state = dir.File("state");
        var before = Defaults(state);
        Assert.Equal((null, null), (before.Model.Base, before.Dataset.GeneralCorpus));

        var (code, _, stderr) = await Run(["init", "--state", state, "--corpus", dir.Write("corpus.txt", SmallCorpus.Text(40)), .. Tiny]);

        Assert.True(code == 0, stderr);
        var after = Defaults(state);
        Assert.Equal(Path.Combine(state, "models", "base"), after.Model.Base);
        Assert.Equal(Path.Combine(state, "corpus", "general.txt"), after.Dataset.GeneralCorpus);
        var configured = DaemonOptionsLoader.Bind(new ConfigurationBuilder().AddInMemoryCollection(
            [new("Model:Base", dir.Path), new("Dataset:GeneralCorpus", dir.File("corpus.txt"))]).Build(), null, state);
        Assert.Equal((dir.Path, dir.File("corpus.txt")), (configured.Model.Base, configured.Dataset.GeneralCorpus));
    }

    [Fact]
    public async Task A_configured_Model_Base_is_registered_as_v0_without_pre_training()
    {
        using var dir = new TempDir();
        var model = TestModels.WriteModel(dir.File("my-model"), seed: 3);
        var config = dir.Write("appsettings.json", $$"""{ "Model": { "Base": "{{model}}" } }""");
        var state = dir.File("state");

        var (code, stdout, stderr) = await Run("init", "--config", config, "--state", state);

        Assert.Equal((0, ""), (code, stderr));
        Assert.StartsWith($"registered {model} as v0 (", stdout);
        Assert.EndsWith("no pre-training", stdout.TrimEnd());
        Assert.False(Directory.Exists(Path.Combine(state, "models")));
        Assert.False(File.Exists(Path.Combine(state, "corpus", "general.txt")));
        var (_, list, _) = await Run("checkpoints", "list", "--config", config, "--state", state);
        Assert.Matches(@"\nv0 +base +- .* current", list);
    }

    [Fact]
    public async Task Without_any_corpus_init_fails_with_the_apt_get_hint()
    {
        using var dir = new TempDir();
        var sources = new DebianCorpus(dir.File("debian-reference.en.txt.gz"), dir.File("fortunes"));
        var root = new RootCommand { GlobalOptions.State, GlobalOptions.Config };
        root.Subcommands.Add(InitCommand.Create(sources));

        var error = await Assert.ThrowsAsync<CliException>(() =>
            root.Parse(["init", "--state", dir.File("state")]).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));

        Assert.Equal(ExitCodes.Failure, error.ExitCode);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal($"no general corpus: neither {sources.ReferenceFile} nor fortune files in {sources.FortunesFolder} exist; "
            + "install them with 'sudo apt-get install debian-reference-en fortunes' or give --corpus FILE", error.Message);
        Assert.False(Directory.Exists(dir.File("state/models")));
    }

    [Fact]
    public async Task A_missing_corpus_file_is_one_line_and_exit_1()
    {
        using var dir = new TempDir();

        var (code, _, stderr) = await Run(["init", "--state", dir.File("state"), "--corpus", dir.File("nope.txt"), .. Tiny]);

        Assert.Equal((1, $"error: --corpus {dir.File("nope.txt")}: no such file"), (code, stderr.Trim()));
    }

    [Theory]
    [InlineData("--vocab", "100", "error: --vocab 100 must be at least 260 (256 bytes, 3 special tokens and a merge)")]
    [InlineData("--hidden", "48", "error: --hidden 48 must be a positive multiple of the head width 32")]
    [InlineData("--minutes", "0", "error: --minutes 0 must be a positive number of minutes")]
    public async Task Out_of_range_settings_are_usage_errors(string option, string value, string expected)
    {
        using var dir = new TempDir();

        var (code, _, stderr) = await Run("init", "--state", dir.File("state"), option, value);

        Assert.Equal((2, expected), (code, stderr.Trim()));
        Assert.False(Directory.Exists(dir.File("state")));
    }

    [Fact]
    public async Task Help_explains_what_init_does()
    {
        var (code, stdout, _) = await Run("init", "--help");

        Assert.Equal(0, code);
        foreach (var part in new[] { "Model:Base", "sudo apt-get install debian-reference-en fortunes", "STATE/models/base", "STATE/corpus/general.txt",
                     "--corpus", "--minutes", "--steps", "--seed", "--vocab", "nothing is done" })
            Assert.Contains(part, stdout);
    }
}

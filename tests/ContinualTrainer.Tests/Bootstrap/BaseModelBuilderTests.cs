using ContinualTrainer.Bootstrap;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.Engine.Eval;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Tokenization;
using ContinualTrainer.Engine.Training;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Bootstrap;

public sealed class BaseModelBuilderTests
{
    private static readonly BootstrapOptions Small = new()
    {
        VocabSize = 320, HiddenSize = 64, Layers = 2, SequenceLength = 64, BatchSize = 4, LearningRate = 3e-3, WarmupSteps = 5,
    };

    private static GeneralCorpus Corpus(TempDir dir, int paragraphs)
    {
        var path = dir.File("corpus/general.txt");
        CorpusAssembler.Write(path, CorpusAssembler.ReadDocuments([dir.Write("source.txt", SmallCorpus.Text(paragraphs))], CancellationToken.None));
        return GeneralCorpus.Load(path, 0.1);
    }

    [Fact]
    public void Pre_training_lowers_the_loss_and_the_held_out_perplexity_well_below_chance()
    {
        using var dir = new TempDir();
        var corpus = Corpus(dir, 80);

        var report = new BaseModelBuilder(Small with { Steps = 40 }, TextWriter.Null).Build(corpus, dir.File("models/base"), CancellationToken.None);

        // A random model is near chance: loss ln(V) and perplexity V. The regular text is far more predictable.
        Assert.InRange(report.FirstLoss, Math.Log(report.VocabSize) - 0.5, Math.Log(report.VocabSize) + 0.5);
        Assert.True(report.FinalLoss < report.FirstLoss - 1.5, $"loss {report.FirstLoss:F3} -> {report.FinalLoss:F3}");
        Assert.True(report.HeldOutPerplexity < report.VocabSize / 8.0, $"held-out perplexity {report.HeldOutPerplexity:F1} of vocab {report.VocabSize}");
        Assert.Equal((40, 40L * 4 * 64), (report.Steps, report.TokensSeen));
        using var checkpoint = HfCheckpoint.Open(report.Directory);
        Assert.Equal(report.Parameters, ParameterTensors.CountFloats(checkpoint.Config));
    }

    [Fact]
    public void Chat_framed_windows_teach_the_model_where_turns_start_and_end()
    {
        using var dir = new TempDir();
        var corpus = Corpus(dir, 80);

        var plain = new BaseModelBuilder(Small with { Steps = 80, ChatShare = 0 }, TextWriter.Null).Build(corpus, dir.File("plain"), CancellationToken.None);
        var framed = new BaseModelBuilder(Small with { Steps = 80, ChatShare = 0.5 }, TextWriter.Null).Build(corpus, dir.File("framed"), CancellationToken.None);

        var conversations = string.Concat(ChatFrames.Render(corpus.HeldOutDocuments, seed: 1));
        var (plainLoss, framedLoss) = (FrameTokenLoss(plain.Directory, conversations), FrameTokenLoss(framed.Directory, conversations));
        // The frame tokens are never in the plain windows: the plain model can only guess them; the framed one learns when they come.
        Assert.True(framedLoss < plainLoss - 2, $"loss of the frame tokens: {plainLoss:F3} without chat windows, {framedLoss:F3} with them");
    }

    [Fact]
    public void The_same_seed_builds_the_same_model()
    {
        using var dir = new TempDir();
        var corpus = Corpus(dir, 30);
        var options = Small with { Steps = 3 };

        var first = new BaseModelBuilder(options, TextWriter.Null).Build(corpus, dir.File("a"), CancellationToken.None);
        var second = new BaseModelBuilder(options, TextWriter.Null).Build(corpus, dir.File("b"), CancellationToken.None);

        foreach (var file in new[] { "model.safetensors", "tokenizer.json", "tokenizer_config.json", "config.json", "generation_config.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(first.Directory, file)), File.ReadAllBytes(Path.Combine(second.Directory, file)));
        Assert.Equal(first.HeldOutPerplexity, second.HeldOutPerplexity);
    }

    [Fact]
    public void An_interrupted_build_leaves_nothing_behind()
    {
        using var dir = new TempDir();
        var corpus = Corpus(dir, 30);
        using var stop = new CancellationTokenSource();
        var log = new CancelOnLine("model:", stop);

        Assert.ThrowsAny<OperationCanceledException>(() => new BaseModelBuilder(Small with { Steps = 1000 }, log).Build(corpus, dir.File("models/base"), stop.Token));

        Assert.True(log.Cancelled);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.File("models")));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    public void Rejects_a_chat_share_outside_zero_to_one(double share)
    {
        using var dir = new TempDir();
        var corpus = Corpus(dir, 30);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new BaseModelBuilder(Small with { ChatShare = share }, TextWriter.Null).Build(corpus, dir.File("models/base"), CancellationToken.None));

        Assert.Equal(nameof(BootstrapOptions.ChatShare), error.ParamName);
        Assert.False(Directory.Exists(dir.File("models")));
    }

    [Fact]
    public void Refuses_to_overwrite_an_existing_folder()
    {
        using var dir = new TempDir();
        var corpus = Corpus(dir, 30);
        dir.Write("models/base/keep.txt", "mine");

        var error = Assert.Throws<IOException>(() => new BaseModelBuilder(Small with { Steps = 1 }, TextWriter.Null).Build(corpus, dir.File("models/base"), CancellationToken.None));

        Assert.Equal($"{dir.File("models/base")}: already exists; init writes a new model folder there", error.Message);
        Assert.Equal("mine", File.ReadAllText(dir.File("models/base/keep.txt")));
    }

    // Mean loss of the model at predicting each <|im_start|> and <|im_end|> of the text (but the first token).
    private static double FrameTokenLoss(string modelDirectory, string text)
    {
        var tokenizer = BpeTokenizer.FromDirectory(modelDirectory);
        var tokens = tokenizer.Encode(text);
        int[] frame = [tokenizer.TokenToId(BaseModelBuilder.ImStart)!.Value, tokenizer.TokenToId(BaseModelBuilder.ImEnd)!.Value];
        using var model = TransformerModel.Load(modelDirectory);
        return MaskedLoss.Evaluate(model, [new TrainingExample(tokens, [.. tokens.Select(frame.Contains)])]).Mean;
    }

    /// <summary>A log that cancels <paramref name="stop"/> when a line starting with <paramref name="prefix"/> is written.</summary>
    private sealed class CancelOnLine(string prefix, CancellationTokenSource stop) : StringWriter
    {
        public bool Cancelled { get; private set; }

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is null || !value.StartsWith(prefix, StringComparison.Ordinal)) return;
            Cancelled = true;
            stop.Cancel();
        }
    }
}

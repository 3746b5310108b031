using ContinualTrainer.Cli;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Demo;

public sealed class DemoCommandTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>An empty configuration and state folder: no Model:Base, no Dataset:GeneralCorpus, nothing from init.</summary>
    private static string[] Empty(TempDir dir) => ["--config", dir.Write("appsettings.json", "{}"), "--state", dir.File("state")];

    [Fact]
    public async Task Without_a_model_it_says_to_run_init_or_pass_one_and_exits_1()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = await Run(["demo", "forgetting", "--corpus", dir.Write("c.txt", "text"), "--out", dir.File("out"), .. Empty(dir)]);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("", stdout);
        Assert.Equal("error: no model to start from: run 'continual-trainer init' or pass --model DIR", stderr.TrimEnd());
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public async Task Without_a_general_corpus_it_says_to_run_init_or_pass_one_and_exits_1()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("model"));
        var (code, _, stderr) = await Run(["demo", "forgetting", "--model", dir.File("model"), "--out", dir.File("out"), .. Empty(dir)]);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("error: no general corpus: run 'continual-trainer init' or pass --corpus FILE", stderr.TrimEnd());
    }

    [Fact]
    public async Task A_model_folder_that_does_not_exist_is_one_line_and_exit_1()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = await Run("demo", "forgetting", "--model", dir.File("none"), "--corpus", dir.Write("c.txt", "text"), "--out", dir.File("out"));

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal($"error: {dir.File("none")}: model directory not found; run 'continual-trainer init' or pass --model DIR", stderr.TrimEnd());
    }

    [Theory]
    [InlineData("--seed", "-1")]
    [InlineData("--seed", "many")]
    [InlineData("--no-such-option")]
    public async Task Bad_options_are_usage_errors(params string[] options)
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = await Run(["demo", "forgetting", "--model", dir.Path, "--corpus", dir.Write("c.txt", "text"), .. options]);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'), line => line.StartsWith("error: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Demo_without_a_demonstration_is_a_usage_error()
    {
        var (code, _, stderr) = await Run("demo");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith("error: ", stderr);
    }

    [Fact]
    public async Task Help_lists_every_option()
    {
        var (code, stdout, _) = await Run("demo", "forgetting", "--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--model", "--corpus", "--out", "--seed", "--json" }) Assert.Contains(option, stdout);
    }
}

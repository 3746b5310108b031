using System.Text.Json;
using ContinualTrainer.Cli;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Cli;

public sealed class PerplexityCommandTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-qwen3-bf16")]
    public async Task Json_result_matches_the_pytorch_perplexity_of_the_fixture(string name)
    {
        using var fixture = JsonDocument.Parse(File.ReadAllText(SharedFixtures.Path("fixtures", "parity", name + ".json")));
        var root = fixture.RootElement;
        using var dir = new TempDir();
        var text = dir.Write("text.txt", root.GetProperty("perplexity_text").GetString()!);
        var window = root.GetProperty("perplexity_window").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (code, stdout, stderr) = await Run("perplexity", "--model", SharedFixtures.Path("fixtures", "models", name), "--text", text, "--window", window, "--json");

        Assert.True(code == 0, stderr);
        using var result = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        Assert.Equal(root.GetProperty("perplexity_tokens_predicted").GetInt32(), result.RootElement.GetProperty("tokens_predicted").GetInt32());
        Assert.Equal(root.GetProperty("perplexity_mean_nll").GetDouble(), result.RootElement.GetProperty("mean_nll").GetDouble(), 1e-4);
        Assert.True(result.RootElement.GetProperty("tokens_per_s").GetDouble() > 0);
    }

    [Fact]
    public async Task A_missing_model_directory_is_one_line_and_exit_1()
    {
        using var dir = new TempDir();
        var text = dir.Write("t.txt", "hello");
        var (code, _, stderr) = await Run("perplexity", "--model", dir.File("none"), "--text", text);
        Assert.Equal(1, code);
        Assert.Equal($"error: {dir.File("none")}: model directory not found", stderr.Trim());
    }

    [Fact]
    public async Task A_window_below_two_is_a_usage_error()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = await Run("perplexity", "--model", dir.Path, "--text", dir.Write("t.txt", "x"), "--window", "1");
        Assert.Equal(2, code);
        Assert.Contains("--window must be at least 2", stderr);
    }

    [SharedFact]
    public async Task Bench_eval_reports_throughput_as_json()
    {
        var (code, stdout, stderr) = await Run("bench", "eval", "--config", SharedFixtures.Path("fixtures", "models", "tiny-llama", "config.json"),
            "--batch", "2", "--seq", "32", "--seconds", "1", "--json");
        Assert.True(code == 0, stderr);
        using var result = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        Assert.True(result.RootElement.GetProperty("tokens_per_s").GetDouble() > 0);
        Assert.True(result.RootElement.GetProperty("s_per_batch").GetDouble() > 0);
        Assert.True(result.RootElement.GetProperty("peak_working_set_mb").GetDouble() > 0);
    }

    [SharedTheory]
    [InlineData("frozen", "lora", "adamw")]
    [InlineData("full", "full", "apollo-mini")]
    public async Task Bench_train_reports_throughput_and_optimizer_state_as_json(string mode, string method, string optimizer)
    {
        var (code, stdout, stderr) = await Run("bench", "train", "--config", SharedFixtures.Path("fixtures", "models", "tiny-llama", "config.json"),
            "--mode", mode, "--method", method, "--optimizer", optimizer, "--batch", "2", "--seq", "32", "--decision", "8", "--seconds", "1", "--json");
        Assert.True(code == 0, stderr);
        using var result = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        Assert.True(result.RootElement.GetProperty("tokens_per_s").GetDouble() > 0, stdout);
    }

    [Fact]
    public async Task Bench_train_refuses_an_unknown_mode()
    {
        var (code, _, stderr) = await Run("bench", "train", "--config", "x.json", "--mode", "sideways");
        Assert.Equal(2, code);
        Assert.Contains("sideways", stderr);
    }
}

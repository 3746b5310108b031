using ContinualTrainer.Cli;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Cli;

public sealed class CliExitCodeTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("status", "--no-such-option")]
    [InlineData()]
    public async Task Usage_errors_exit_2_with_a_message_on_stderr(params string[] args)
    {
        var (code, stdout, stderr) = await Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains("--help", stderr);
    }

    [Fact]
    public async Task Version_prints_the_program_and_engine_versions()
    {
        var (code, stdout, stderr) = await Run("version");
        Assert.Equal(0, code);
        Assert.StartsWith("continual-trainer ", stdout);
        Assert.Contains("engine ", stdout);
        Assert.Equal("", stderr);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("status")]
    [InlineData("version")]
    [InlineData("bench")]
    public async Task Every_verb_has_help(string verb)
    {
        var (code, stdout, _) = await Run(verb, "--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage:", stdout);
        Assert.Contains("--state", stdout);
    }

    [Fact]
    public async Task Failures_exit_1_with_one_line_on_stderr()
    {
        var (code, stdout, stderr) = await Run("status", "--config", "/nonexistent/appsettings.json");
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("", stdout);
        Assert.Equal("configuration error: --config /nonexistent/appsettings.json: no such file", stderr.Trim());
    }

    [Fact]
    public async Task Status_of_a_folder_without_a_daemon_says_what_it_waits_for()
    {
        using var dir = new TempDir();
        var (code, stdout, _) = await Run("status", "--state", dir.Path);
        Assert.Equal(0, code);
        Assert.Contains("daemon:        not running", stdout);
        Assert.Contains("none yet (the daemon has not run on this folder)", stdout);
        Assert.Contains("waiting for:   a model (run `continual-trainer init`, or set Model:Base", stdout);

        var json = await Run("status", "--state", dir.Path, "--json");
        using var document = System.Text.Json.JsonDocument.Parse(json.Out);
        Assert.False(document.RootElement.GetProperty("daemon_running").GetBoolean());
        Assert.Equal(dir.Path, document.RootElement.GetProperty("state_dir").GetString());
        Assert.Equal(1, document.RootElement.GetProperty("waiting_for").GetArrayLength());
    }
}
